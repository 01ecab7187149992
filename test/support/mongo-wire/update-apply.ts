// Update semantics of the test server: operator updates (update-ops.ts), replacements, $setOnInsert and upsert seeds.
import { ObjectId, type Document } from 'bson';
import { setValue } from 'mingo/util';
import { CommandError } from './errors.js';
import { applyOperators } from './update-ops.js';
import { cloneDoc, sameDoc } from './state.js';

export function isOperatorUpdate(u: Document): boolean {
  const keys = Object.keys(u);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

/** Returns the updated copy of `doc` (the original is not touched) and whether anything changed. */
export function applyUpdate(
  doc: Document,
  u: unknown,
  options: { query?: Document; arrayFilters?: Document[]; inserting?: boolean } = {},
): { doc: Document; changed: boolean } {
  if (Array.isArray(u)) throw new CommandError(9, 'FailedToParse', 'the test server does not support pipeline updates');
  if (!u || typeof u !== 'object') throw new CommandError(9, 'FailedToParse', 'update must be an object');
  const spec = u as Document;
  let next: Document;
  if (!isOperatorUpdate(spec)) {
    if (Object.keys(spec).some((k) => k.startsWith('$'))) {
      throw new CommandError(9, 'FailedToParse', 'update mixes operators and replacement fields');
    }
    next = { _id: doc._id, ...cloneDoc(spec) };
    if (spec._id !== undefined && doc._id !== undefined && !sameDoc({ v: spec._id }, { v: doc._id })) {
      throw immutableId();
    }
    if (next._id === undefined) delete next._id;
  } else {
    next = cloneDoc(doc);
    applyOperators(next, spec, { arrayFilters: options.arrayFilters, inserting: options.inserting });
    if (doc._id !== undefined && !sameDoc({ v: next._id }, { v: doc._id })) throw immutableId();
  }
  return { doc: next, changed: !sameDoc(doc, next) };
}

/** The document an upsert starts from: the equality conditions of the query (top level and inside $and). */
export function upsertSeed(query: Document | undefined): Document {
  const seed: Document = {};
  const walk = (q: Document) => {
    for (const [key, value] of Object.entries(q)) {
      if (key === '$and' && Array.isArray(value)) {
        for (const part of value) walk(part as Document);
        continue;
      }
      if (key.startsWith('$')) continue;
      if (isEquality(value)) setValue(seed, key, equalityValue(value));
    }
  };
  if (query) walk(query);
  return seed;
}

/** Upsert: seed, then the update applied as an insert; an `_id` is generated when neither gives one. */
export function buildUpsert(query: Document | undefined, u: unknown, arrayFilters?: Document[]): Document {
  const seed = upsertSeed(query);
  const spec = u as Document;
  const { doc } = isOperatorUpdate(spec)
    ? applyUpdate(seed, spec, { inserting: true, arrayFilters })
    : applyUpdate({ _id: seed._id }, spec, { inserting: true });
  if (doc._id === undefined) return { _id: new ObjectId(), ...doc };
  return doc;
}

function isEquality(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (value instanceof Date || value instanceof RegExp || Array.isArray(value)) return !(value instanceof RegExp);
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === '$eq') return true;
  return !keys.some((k) => k.startsWith('$'));
}

function equalityValue(value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value)[0] === '$eq') return (value as Document).$eq;
  return value;
}

function immutableId(): CommandError {
  return new CommandError(66, 'ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
}
