// One in-memory collection of the test server: documents, indexes (unique ones enforced), capped eviction.
import { BSON, EJSON, ObjectId, type Document } from 'bson';
import { resolve } from 'mingo/util';
import { isNumeric, promote } from './bson-values.js';
import { CommandError } from './errors.js';
import type { Matcher } from './match.js';
import { sortDocs } from './shape.js';

export interface IndexSpec {
  v: number;
  key: Record<string, number | string>;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  [option: string]: unknown;
}

export interface CollectionOptions {
  capped?: boolean;
  size?: number;
  max?: number;
}

/** A duplicate key, reported as mongod does (code 11000, keyPattern, keyValue). */
export function duplicateKeyError(ns: string, index: IndexSpec, doc: Document): CommandError {
  const keyValue: Document = {};
  for (const field of Object.keys(index.key)) keyValue[field] = resolve(doc, field) ?? null;
  const shown = EJSON.stringify(keyValue, { relaxed: true });
  return new CommandError(11000, 'DuplicateKey', `E11000 duplicate key error collection: ${ns} index: ${index.name} dup key: ${shown}`, {
    keyPattern: index.key,
    keyValue,
  });
}

export class Collection {
  docs: Document[] = [];
  indexes: IndexSpec[] = [{ v: 2, key: { _id: 1 }, name: '_id_' }];
  readonly options: CollectionOptions;
  private readonly unique = new Map<string, Map<string, Document>>([['_id_', new Map()]]);
  private readonly sizes = new WeakMap<Document, number>();
  /** Promoted copies (plain JS numbers) of stored documents, for mingo; dropped when a document changes. */
  private readonly views = new WeakMap<Document, Document>();
  private totalSize = 0;

  constructor(
    readonly db: string,
    readonly name: string,
    options: CollectionOptions = {},
  ) {
    this.options = options;
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  /** Adds a document (an `_id` is generated when missing); throws 11000 on a unique-index conflict. */
  insert(doc: Document): void {
    // mongod stores _id first, generating one when missing.
    const { _id, ...rest } = doc;
    doc = { _id: _id ?? new ObjectId(), ...rest };
    this.checkUnique(doc, undefined);
    this.docs.push(doc);
    this.indexDoc(doc);
    this.evict();
  }

  /**
   * Turns `old` into `next` atomically: either the unique checks pass and the document changes, or nothing changes.
   * The stored object is updated in place (no O(n) search of the array).
   */
  replace(old: Document, next: Document): void {
    this.checkUnique(next, old);
    this.unindexDoc(old);
    for (const key of Object.keys(old)) delete old[key];
    Object.assign(old, next);
    this.views.delete(old);
    this.indexDoc(old);
  }

  /** The promoted copy of a stored document. */
  view(doc: Document): Document {
    let v = this.views.get(doc);
    if (!v) {
      v = promote(doc) as Document;
      this.views.set(doc, v);
    }
    return v;
  }

  /**
   * Stored documents matching a compiled filter (`filter` itself only picks the unique-index fast path), in `sort` order
   * when given; with `limit`, candidates are sorted first and tested only until that many matched.
   */
  find(filter: Document, matcher: Matcher, sort?: Document, limit = 0): Document[] {
    const candidates = sort ? sortDocs(this.candidates(filter), sort) : this.candidates(filter);
    const out: Document[] = [];
    for (const d of candidates) {
      if (!matcher(d, this.view(d))) continue;
      out.push(d);
      if (limit > 0 && out.length >= limit) break;
    }
    return out;
  }

  remove(doc: Document): void {
    const at = this.docs.indexOf(doc);
    if (at < 0) return;
    this.docs.splice(at, 1);
    this.unindexDoc(doc);
  }

  /** Documents that may match `filter`: one map lookup for equality on a uniquely indexed field, else all. */
  candidates(filter: Document): Document[] {
    for (const index of this.indexes) {
      const fields = Object.keys(index.key);
      if (!index.unique && index.name !== '_id_') continue;
      if (fields.length !== 1) continue;
      const value = filter[fields[0]!];
      if (!isPlainEqualityValue(value)) continue;
      const hit = this.unique.get(index.name)!.get(keyOf([promote(value)]));
      return hit ? [hit] : [];
    }
    return this.docs;
  }

  /** Adds an index; returns false when an identical one already exists. */
  createIndex(spec: IndexSpec): boolean {
    const sameName = this.indexes.find((i) => i.name === spec.name);
    const sameKey = this.indexes.find((i) => keyOf([i.key]) === keyOf([spec.key]));
    if (sameName) {
      if (keyOf([sameName.key]) !== keyOf([spec.key])) {
        throw new CommandError(86, 'IndexKeySpecsConflict', `An existing index has the same name as the requested index. Requested: ${spec.name}`);
      }
      if (Boolean(sameName.unique) !== Boolean(spec.unique)) {
        throw new CommandError(86, 'IndexKeySpecsConflict', `An existing index has the same name as the requested index but different options: ${spec.name}`);
      }
      return false;
    }
    if (sameKey) {
      throw new CommandError(85, 'IndexOptionsConflict', `Index already exists with a different name: ${sameKey.name}`);
    }
    if (spec.unique) {
      const map = new Map<string, Document>();
      for (const doc of this.docs) {
        if (spec.sparse && !hasAllFields(doc, spec)) continue;
        const key = indexKey(doc, spec);
        if (map.has(key)) throw duplicateKeyError(this.ns, spec, doc);
        map.set(key, doc);
      }
      this.unique.set(spec.name, map);
    }
    this.indexes.push(spec);
    return true;
  }

  private uniqueIndexes(): IndexSpec[] {
    return this.indexes.filter((i) => i.unique || i.name === '_id_');
  }

  private checkUnique(doc: Document, except: Document | undefined): void {
    for (const index of this.uniqueIndexes()) {
      if (index.sparse && !hasAllFields(doc, index)) continue;
      const hit = this.unique.get(index.name)!.get(indexKey(doc, index));
      if (hit && hit !== except) throw duplicateKeyError(this.ns, index, doc);
    }
  }

  private indexDoc(doc: Document): void {
    for (const index of this.uniqueIndexes()) {
      if (index.sparse && !hasAllFields(doc, index)) continue;
      this.unique.get(index.name)!.set(indexKey(doc, index), doc);
    }
    if (this.options.capped) {
      const size = BSON.calculateObjectSize(doc);
      this.sizes.set(doc, size);
      this.totalSize += size;
    }
  }

  private unindexDoc(doc: Document): void {
    for (const index of this.uniqueIndexes()) {
      const map = this.unique.get(index.name)!;
      const key = indexKey(doc, index);
      if (map.get(key) === doc) map.delete(key);
    }
    this.totalSize -= this.sizes.get(doc) ?? 0;
  }

  /** Capped collections drop their oldest documents beyond `size` bytes or `max` documents. */
  private evict(): void {
    if (!this.options.capped) return;
    const { size, max } = this.options;
    while (this.docs.length > 1 && ((size && this.totalSize > size) || (max && this.docs.length > max))) {
      const oldest = this.docs.shift()!;
      this.unindexDoc(oldest);
    }
  }
}

function hasAllFields(doc: Document, index: IndexSpec): boolean {
  return Object.keys(index.key).every((f) => resolve(doc, f) !== undefined);
}

/** mongod puts 5, NumberLong(5) and 5.0 under one key: numbers are compared by value. */
function indexKey(doc: Document, index: IndexSpec): string {
  return keyOf(Object.keys(index.key).map((f) => promote(resolve(doc, f) ?? null)));
}

function keyOf(values: unknown[]): string {
  return EJSON.stringify(values, { relaxed: true });
}

function isPlainEqualityValue(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'number' || typeof value === 'string' || isNumeric(value)) return true;
  return value instanceof ObjectId;
}
