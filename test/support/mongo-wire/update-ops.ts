// Update operators of the strict test server, with mongod's path rules and error codes (40, 28, 14, 2) and BSON types kept.
import { BSON, Double, Int32, Long, type Document } from 'bson';
import { bsonEqual, bsonTypeName, isNumeric, isPlainDoc, numericValue, promote, STRICT_DESERIALIZE } from './bson-values.js';
import { CommandError } from './errors.js';
import { compileFilter, compileValueCondition } from './match.js';

const CREATING = new Set(['$set', '$setOnInsert', '$inc', '$push', '$addToSet']);
const KNOWN = new Set([...CREATING, '$unset', '$pull']);

type Leaf = (parent: Document | unknown[], key: string | number) => void;

/** A deep copy of a value from the command, so no two documents share an object. */
function copy(value: unknown): unknown {
  return BSON.deserialize(BSON.serialize({ v: value }), STRICT_DESERIALIZE).v;
}

function show(value: unknown): string {
  try {
    return JSON.stringify(promote(value)) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Refuses two operations on one path or on a path and its prefix (mongod code 40). */
function checkConflicts(paths: string[]): void {
  for (let i = 0; i < paths.length; i++) {
    for (let j = 0; j < i; j++) {
      const [a, b] = [paths[i]!, paths[j]!];
      if (a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`)) {
        throw new CommandError(40, 'ConflictingUpdateOperators', `Updating the path '${a}' would create a conflict at '${a.length < b.length ? a : b}'`);
      }
    }
  }
}

/** Identifier → test of an array element, from the update's arrayFilters ([{'e.type': 'x'}] matches {e: element}). */
function compileArrayFilters(filters: Document[] | undefined): Map<string, (el: unknown) => boolean> {
  const map = new Map<string, (el: unknown) => boolean>();
  for (const f of filters ?? []) {
    const ids = new Set(Object.keys(f).map((k) => k.split('.')[0]!));
    if (ids.size !== 1) throw new CommandError(9, 'FailedToParse', 'Each array filter must use a single top-level field name');
    const id = [...ids][0]!;
    const m = compileFilter(f);
    map.set(id, (el) => m({ [id]: el }, { [id]: promote(el) } as Document));
  }
  return map;
}

function arrayIndexes(arr: unknown[], seg: string, filters: Map<string, (el: unknown) => boolean>, path: string): number[] {
  if (seg === '$[]') return arr.map((_, i) => i);
  const id = /^\$\[(\w+)\]$/.exec(seg)?.[1];
  if (id !== undefined) {
    const test = filters.get(id);
    if (!test) throw new CommandError(2, 'BadValue', `No array filter found for identifier '${id}' in path '${path}'`);
    return arr.flatMap((el, i) => (test(el) ? [i] : []));
  }
  if (seg === '$') throw new CommandError(2, 'BadValue', `the test server does not support the positional $ operator ('${path}')`);
  return /^\d+$/.test(seg) ? [Number(seg)] : [];
}

/** Walks `segs` from `node`, creating missing documents when `create`, and calls `leaf` on each target. */
function walk(node: Document | unknown[], segs: string[], i: number, create: boolean, leaf: Leaf, filters: Map<string, (el: unknown) => boolean>, path: string): void {
  const seg = segs[i]!;
  const last = i === segs.length - 1;
  let keys: Array<string | number>;
  if (Array.isArray(node)) {
    keys = arrayIndexes(node, seg, filters, path);
    if (keys.length === 0 && !seg.startsWith('$') && !/^\d+$/.test(seg) && create) {
      throw new CommandError(28, 'PathNotViable', `Cannot create field '${seg}' in element {${segs[i - 1] ?? ''}: ${show(node)}}`);
    }
  } else {
    if (seg.startsWith('$')) throw new CommandError(2, 'BadValue', `Cannot apply array updates to non-array element ${segs[i - 1] ?? ''}: ${show(node)}`);
    keys = [seg];
  }
  for (const key of keys) {
    if (last) {
      leaf(node, key);
      continue;
    }
    const parent = node as Record<string | number, unknown>;
    let child = parent[key];
    if (child === undefined) {
      if (!create) continue;
      if (Array.isArray(node)) while (node.length < (key as number)) node.push(null);
      child = {};
      parent[key] = child;
    }
    if (!isPlainDoc(child) && !Array.isArray(child)) {
      if (!create) continue;
      throw new CommandError(28, 'PathNotViable', `Cannot create field '${segs[i + 1]}' in element {${key}: ${show(child)}}`);
    }
    walk(child as Document | unknown[], segs, i + 1, create, leaf, filters, path);
  }
}

/** int32 + int32 stays int32 (long on overflow), long wins over int, double over both — as mongod's $inc. */
function addNumbers(a: unknown, b: unknown): unknown {
  const kinds = [bsonTypeName(a), bsonTypeName(b)];
  const sum = numericValue(a) + numericValue(b);
  if (kinds.includes('double') || kinds.includes('decimal')) return new Double(sum);
  if (kinds.includes('long') || sum > 2 ** 31 - 1 || sum < -(2 ** 31)) return Long.fromNumber(sum);
  return new Int32(sum);
}

function leafFor(op: string, value: unknown, doc: Document): Leaf {
  const id = show(doc._id);
  return (parent, key) => {
    const p = parent as Record<string | number, unknown>;
    const current = p[key];
    const setAt = (v: unknown) => {
      if (Array.isArray(parent)) while (parent.length < (key as number)) parent.push(null);
      p[key] = v;
    };
    switch (op) {
      case '$set':
      case '$setOnInsert':
        return setAt(copy(value));
      case '$unset':
        if (Array.isArray(parent)) p[key] = null;
        else delete p[key];
        return;
      case '$inc':
        if (!isNumeric(value)) throw new CommandError(14, 'TypeMismatch', `Cannot increment with non-numeric argument: {${key}: ${show(value)}}`);
        if (current === undefined) return setAt(copy(value));
        if (!isNumeric(current)) {
          throw new CommandError(14, 'TypeMismatch', `Cannot apply $inc to a value of non-numeric type. {_id: ${id}} has the field '${key}' of non-numeric type ${bsonTypeName(current)}`);
        }
        return setAt(addNumbers(current, value));
      case '$push':
      case '$addToSet': {
        const each = isPlainDoc(value) && '$each' in value ? (value.$each as unknown[]) : [value];
        if (isPlainDoc(value) && Object.keys(value).some((k) => k.startsWith('$') && k !== '$each')) {
          throw new CommandError(2, 'BadValue', `the test server supports only $each as a ${op} modifier`);
        }
        if (current !== undefined && !Array.isArray(current)) {
          throw new CommandError(2, 'BadValue', `The field '${key}' must be an array but is of type ${bsonTypeName(current)} in document {_id: ${id}}`);
        }
        const list = (current as unknown[] | undefined) ?? [];
        for (const v of each) if (op === '$push' || !list.some((x) => bsonEqual(x, v))) list.push(copy(v));
        return setAt(list);
      }
      case '$pull': {
        if (current === undefined) return;
        if (!Array.isArray(current)) throw new CommandError(2, 'BadValue', 'Cannot apply $pull to a non-array value');
        const test = pullTest(value);
        p[key] = current.filter((el) => !test(el));
        return;
      }
    }
  };
}

/** $pull: a condition on the element's value (operators), a query on its fields (a document), or equality. */
function pullTest(cond: unknown): (el: unknown) => boolean {
  if (isPlainDoc(cond)) {
    const keys = Object.keys(cond);
    if (keys.length > 0 && keys.every((k) => k.startsWith('$') && !['$and', '$or', '$nor'].includes(k))) return compileValueCondition(cond);
    const q = compileFilter(cond);
    return (el) => isPlainDoc(el) && q(el, promote(el) as Document);
  }
  return (el) => bsonEqual(el, cond);
}

/** Applies an operator update to `doc` in place. */
export function applyOperators(doc: Document, spec: Document, options: { arrayFilters?: Document[]; inserting?: boolean }): void {
  const ops: Array<[string, string, unknown]> = [];
  for (const [op, fields] of Object.entries(spec)) {
    if (!KNOWN.has(op)) throw new CommandError(9, 'FailedToParse', `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
    if (!isPlainDoc(fields)) throw new CommandError(9, 'FailedToParse', `Modifiers operate on fields but we found type ${bsonTypeName(fields)} instead`);
    for (const [path, value] of Object.entries(fields)) {
      if (path === '' || path.split('.').some((s) => s === '')) throw new CommandError(56, 'EmptyFieldName', `An empty update path is not valid: '${path}'`);
      ops.push([op, path, value]);
    }
  }
  checkConflicts(ops.map(([, path]) => path));
  const filters = compileArrayFilters(options.arrayFilters);
  for (const [op, path, value] of ops) {
    if (op === '$setOnInsert' && !options.inserting) continue;
    if (path === '_id' || path.startsWith('_id.')) {
      if (!options.inserting && bsonEqual(value, doc._id)) continue;
      if (!options.inserting) throw new CommandError(66, 'ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
    }
    walk(doc, path.split('.'), 0, CREATING.has(op), leafFor(op, value, doc), filters, path);
  }
}
