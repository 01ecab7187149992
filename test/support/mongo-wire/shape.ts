// Sort and projection of stored documents (BSON types kept): mongod's cross-type order, inclusion/exclusion and $elemMatch.
import { ObjectId, type Document } from 'bson';
import { resolve } from 'mingo/util';
import { bsonEqual, isNumeric, isPlainDoc, numericValue, promote } from './bson-values.js';
import { CommandError } from './errors.js';
import { compileFilter } from './match.js';

/** mongod's order of types: null/missing, numbers, strings, documents, arrays, ObjectIds, booleans, dates. */
function rank(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (isNumeric(v)) return 1;
  if (typeof v === 'string') return 2;
  if (Array.isArray(v)) return 4;
  if (v instanceof ObjectId) return 5;
  if (typeof v === 'boolean') return 6;
  if (v instanceof Date) return 7;
  return 3;
}

export function compareValues(a: unknown, b: unknown): number {
  const [ra, rb] = [rank(a), rank(b)];
  if (ra !== rb) return ra - rb;
  if (ra === 1) return numericValue(a) - numericValue(b);
  if (ra === 2) return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
  if (ra === 5) return (a as ObjectId).toHexString().localeCompare((b as ObjectId).toHexString());
  if (ra === 6) return Number(a) - Number(b);
  if (ra === 7) return (a as Date).getTime() - (b as Date).getTime();
  if (ra === 0 || bsonEqual(a, b)) return 0;
  return JSON.stringify(promote(a)) < JSON.stringify(promote(b)) ? -1 : 1;
}

/** A stable sort by a {field: 1 | -1} spec. */
export function sortDocs(docs: Document[], spec: Document | undefined): Document[] {
  const keys = Object.entries(spec ?? {}).map(([k, d]) => [k, numericValue(d) < 0 ? -1 : 1] as const);
  if (keys.length === 0) return docs;
  return [...docs].sort((x, y) => {
    for (const [k, dir] of keys) {
      const c = compareValues(resolve(x, k), resolve(y, k));
      if (c !== 0) return c * dir;
    }
    return 0;
  });
}

function setPath(target: Document, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    if (!isPlainDoc(node[part])) node[part] = {};
    node = node[part] as Document;
  }
  node[path.at(-1)!] = value;
}

function deletePath(target: Document, path: string[]): void {
  let node: unknown = target;
  for (const part of path.slice(0, -1)) node = isPlainDoc(node) ? node[part] : undefined;
  if (isPlainDoc(node)) delete node[path.at(-1)!];
}

/** Applies a find projection: inclusion (with dotted paths and $elemMatch) or exclusion; `_id` is kept unless excluded. */
export function projectDoc(doc: Document, projection: Document | undefined): Document {
  if (!projection || Object.keys(projection).length === 0) return doc;
  const entries = Object.entries(projection);
  const flag = (v: unknown) => (isNumeric(v) ? numericValue(v) !== 0 : v === true);
  const inclusive = entries.some(([k, v]) => k !== '_id' && (isPlainDoc(v) || flag(v)));
  if (!inclusive) {
    const out = structuredCopy(doc);
    for (const [k] of entries) deletePath(out, k.split('.'));
    return out;
  }
  const out: Document = {};
  if (projection._id === undefined || flag(projection._id)) if (doc._id !== undefined) out._id = doc._id;
  for (const [k, v] of entries) {
    if (k === '_id') continue;
    if (isPlainDoc(v)) {
      if (!('$elemMatch' in v)) throw new CommandError(2, 'BadValue', `the test server supports only $elemMatch in projections (${k})`);
      const arr = doc[k];
      const m = compileFilter(v.$elemMatch);
      const hit = Array.isArray(arr) ? arr.find((el) => isPlainDoc(el) && m(el, promote(el) as Document)) : undefined;
      if (hit !== undefined) out[k] = [hit];
      continue;
    }
    if (!flag(v)) throw new CommandError(31254, 'Location31254', `Cannot do exclusion on field ${k} in inclusion projection`);
    const value = resolve(doc, k);
    if (value !== undefined) setPath(out, k.split('.'), value);
  }
  // mongod returns the kept fields in the document's order, not the projection's.
  return Object.fromEntries(Object.keys(doc).filter((k) => k in out).map((k) => [k, out[k]]));
}

/** Top-level shallow copy deep enough for deletePath (nested documents are copied along the way). */
function structuredCopy(doc: Document): Document {
  const copy = (v: unknown): unknown => (isPlainDoc(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)])) : v);
  return copy(doc) as Document;
}
