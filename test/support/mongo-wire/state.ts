// The test server's data: databases of collections, open cursors, and the shared helpers of its commands.
import { BSON, Long, type Document } from 'bson';
import { isNumeric, numericValue, STRICT_DESERIALIZE } from './bson-values.js';
import { Collection, type CollectionOptions } from './collection.js';
import { CommandError } from './errors.js';

export interface OpenCursor {
  ns: string;
  docs: Document[];
  position: number;
}

export class WireState {
  readonly dbs = new Map<string, Map<string, Collection>>();
  private readonly cursors = new Map<number, OpenCursor>();
  private nextCursorId = 1;
  /** Replies of executed retryable writes by session + txnNumber (mongod's config.transactions); survives restart(). */
  private readonly retryable = new Map<string, Document>();

  retryableReply(key: string): Document | undefined {
    return this.retryable.get(key);
  }

  rememberReply(key: string, reply: Document): void {
    this.retryable.set(key, reply);
    if (this.retryable.size > 100_000) this.retryable.delete(this.retryable.keys().next().value!);
  }

  database(db: string): Map<string, Collection> {
    let colls = this.dbs.get(db);
    if (!colls) {
      colls = new Map();
      this.dbs.set(db, colls);
    }
    return colls;
  }

  collection(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  /** The collection, created implicitly on first write as mongod does. */
  ensureCollection(db: string, name: string, options: CollectionOptions = {}): Collection {
    assertCollectionName(name);
    const colls = this.database(db);
    let coll = colls.get(name);
    if (!coll) {
      coll = new Collection(db, name, options);
      colls.set(name, coll);
    }
    return coll;
  }

  /** Returns the reply's cursor sub-document and keeps the rest of `docs` for getMore. */
  openCursor(ns: string, docs: Document[], batchSize: number | undefined, singleBatch = false): Document {
    const size = batchSize === undefined || batchSize <= 0 ? 101 : batchSize;
    const firstBatch = docs.slice(0, size);
    let id = 0;
    if (!singleBatch && docs.length > size) {
      id = this.nextCursorId++;
      this.cursors.set(id, { ns, docs, position: size });
    }
    return { id: Long.fromNumber(id), ns, firstBatch };
  }

  getMore(id: number, batchSize: number | undefined): Document {
    const cursor = this.cursors.get(id);
    if (!cursor) throw new CommandError(43, 'CursorNotFound', `cursor id ${id} not found`);
    const end = batchSize && batchSize > 0 ? cursor.position + batchSize : cursor.docs.length;
    const nextBatch = cursor.docs.slice(cursor.position, end);
    cursor.position = end;
    const done = cursor.position >= cursor.docs.length;
    if (done) this.cursors.delete(id);
    return { id: Long.fromNumber(done ? 0 : id), ns: cursor.ns, nextBatch };
  }

  killCursor(id: number): boolean {
    return this.cursors.delete(id);
  }

  /** Forgets every open cursor (a restarted mongod has none). */
  dropCursors(): void {
    this.cursors.clear();
  }
}

export function assertCollectionName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '' || name.includes('$') || name.includes('\0')) {
    throw new CommandError(73, 'InvalidNamespace', `Invalid collection name: ${String(name)}`);
  }
}

/** A deep copy that keeps BSON types (ObjectId, Date, Long …). */
export function cloneDoc(doc: Document): Document {
  return BSON.deserialize(BSON.serialize(doc), STRICT_DESERIALIZE);
}

export function sameDoc(a: Document, b: Document): boolean {
  return Buffer.from(BSON.serialize(a)).equals(Buffer.from(BSON.serialize(b)));
}

export function toNumber(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (value instanceof Long) return value.toNumber();
  if (typeof value === 'bigint') return Number(value);
  if (isNumeric(value)) return numericValue(value);
  return Number(value);
}
