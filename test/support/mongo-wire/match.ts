// Query matching of the strict test server: mingo on a promoted view, except where mongod is stricter than mingo
// ($type by stored BSON type; equality to documents and arrays, which is field-order sensitive).
import type { Document } from 'bson';
import { Query } from 'mingo';
import { bsonEqual, hasType, isPlainDoc, pathValues, promote } from './bson-values.js';
import { CommandError } from './errors.js';

/** Tests a stored document; `view` is its promoted copy (cached by the collection). */
export type Matcher = (raw: Document, view: Document) => boolean;

const STRICT_OPS = new Set(['$eq', '$ne', '$in', '$nin', '$type', '$elemMatch', '$not']);

function mingo(filter: Document): Matcher {
  let q: Query;
  try {
    q = new Query(promote(filter) as Document, {});
  } catch (error) {
    throw new CommandError(2, 'BadValue', (error as Error).message);
  }
  return (_raw, view) => q.test(view);
}

const isOperatorDoc = (v: unknown): v is Document => isPlainDoc(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith('$'));
const isStructured = (v: unknown) => Array.isArray(v) || (isPlainDoc(v) && !isOperatorDoc(v));

/** True when a path condition needs mongod's strict semantics rather than mingo's. */
function needsStrict(cond: unknown): boolean {
  if (isStructured(cond)) return true;
  if (!isOperatorDoc(cond)) return false;
  return Object.entries(cond).some(
    ([op, v]) => op === '$type' || op === '$elemMatch' || (op === '$not' && isPlainDoc(v)) || ((op === '$eq' || op === '$ne') && isStructured(v)) || ((op === '$in' || op === '$nin') && Array.isArray(v) && v.some(isStructured)),
  );
}

/** One path condition evaluated on the stored values. */
function strictPath(path: string, cond: unknown): Matcher {
  const anyEqual = (raw: Document, target: unknown) => pathValues(raw, path).some((v) => bsonEqual(v, target) || (target === null && v === undefined));
  if (!isOperatorDoc(cond)) return (raw) => anyEqual(raw, cond);
  const parts: Matcher[] = Object.entries(cond).map(([op, v]): Matcher => {
    if (!STRICT_OPS.has(op)) return mingo({ [path]: { [op]: v } });
    if (op === '$eq') return (raw) => anyEqual(raw, v);
    if (op === '$ne') return (raw) => !anyEqual(raw, v);
    if (op === '$type') return (raw) => pathValues(raw, path).some((x) => x !== undefined && hasType(x, v));
    if (op === '$not') {
      if (!isPlainDoc(v)) return mingo({ [path]: { $not: v } });
      const inner = strictPath(path, v);
      return (raw, view) => !inner(raw, view);
    }
    if (op === '$elemMatch') {
      const element = elementMatcher(v);
      return (raw) => pathValues(raw, path).some((x) => Array.isArray(x) && x.some(element));
    }
    if (!Array.isArray(v)) throw new CommandError(2, 'BadValue', `${op} needs an array`);
    const inList = (raw: Document) => v.some((t) => anyEqual(raw, t));
    return op === '$in' ? inList : (raw) => !inList(raw);
  });
  return (raw, view) => parts.every((p) => p(raw, view));
}

/** `$elemMatch`'s condition on one element: a query on its fields, or (all operators) a condition on its value. */
function elementMatcher(cond: unknown): (element: unknown) => boolean {
  if (!isPlainDoc(cond)) throw new CommandError(2, 'BadValue', '$elemMatch needs an Object');
  const onValue = isOperatorDoc(cond) && !Object.keys(cond).some((k) => k === '$and' || k === '$or' || k === '$nor');
  if (onValue) return compileValueCondition(cond);
  const query = compileFilter(cond);
  return (element) => isPlainDoc(element) && query(element, promote(element) as Document);
}

/** Compiles a filter once per command. */
export function compileFilter(filter: unknown): Matcher {
  if (filter === undefined || filter === null) return () => true;
  if (!isPlainDoc(filter)) throw new CommandError(2, 'BadValue', 'filter must be an object');
  const parts: Matcher[] = [];
  const rest: Document = {};
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(cond) || cond.length === 0) throw new CommandError(2, 'BadValue', `${key} must be a nonempty array`);
      const subs = cond.map(compileFilter);
      if (key === '$and') parts.push((r, v) => subs.every((s) => s(r, v)));
      else if (key === '$or') parts.push((r, v) => subs.some((s) => s(r, v)));
      else parts.push((r, v) => !subs.some((s) => s(r, v)));
    } else if (!key.startsWith('$') && needsStrict(cond)) {
      parts.push(strictPath(key, cond));
    } else {
      rest[key] = cond;
    }
  }
  if (Object.keys(rest).length > 0) parts.push(mingo(rest));
  return (raw, view) => parts.every((p) => p(raw, view));
}

/** Matches a single value (an array element of $pull or arrayFilters) against a condition on it. */
export function compileValueCondition(cond: unknown): (value: unknown) => boolean {
  const m = compileFilter({ v: cond });
  return (value) => m({ v: value }, { v: promote(value) } as Document);
}
