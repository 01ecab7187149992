// Read commands of the test server: find/getMore/killCursors, aggregate, count, distinct (semantics from mingo).
import type { Document } from 'bson';
import { Aggregator, Query, find } from 'mingo';
import { resolve } from 'mingo/util';
import { CommandError } from './errors.js';
import { toNumber, type WireState } from './state.js';

function matching(state: WireState, db: string, name: string, filter: unknown): Document[] {
  const coll = state.collection(db, name);
  if (!coll) return [];
  let q: Query;
  try {
    q = new Query((filter ?? {}) as Document, {});
  } catch (error) {
    throw new CommandError(2, 'BadValue', (error as Error).message);
  }
  return coll.candidates((filter ?? {}) as Document).filter((d) => q.test(d));
}

export function findCommand(state: WireState, db: string, cmd: Document): Document {
  let docs = matching(state, db, cmd.find, cmd.filter);
  let limit = toNumber(cmd.limit) ?? 0;
  let singleBatch = cmd.singleBatch === true;
  if (limit < 0) {
    limit = -limit;
    singleBatch = true;
  }
  let cursor = find(docs, {}, cmd.projection && Object.keys(cmd.projection).length > 0 ? cmd.projection : undefined);
  if (cmd.sort && Object.keys(cmd.sort).length > 0) cursor = cursor.sort(cmd.sort);
  const skip = toNumber(cmd.skip) ?? 0;
  if (skip > 0) cursor = cursor.skip(skip);
  if (limit > 0) cursor = cursor.limit(limit);
  docs = cursor.all() as Document[];
  let batchSize = toNumber(cmd.batchSize);
  if (limit > 0 && (batchSize === undefined || batchSize === 0 || batchSize > limit)) batchSize = limit;
  return { cursor: state.openCursor(`${db}.${cmd.find}`, docs, batchSize, singleBatch), ok: 1 };
}

export function getMoreCommand(state: WireState, _db: string, cmd: Document): Document {
  const id = toNumber(cmd.getMore) ?? 0;
  return { cursor: state.getMore(id, toNumber(cmd.batchSize)), ok: 1 };
}

export function killCursorsCommand(state: WireState, _db: string, cmd: Document): Document {
  const killed: unknown[] = [];
  const notFound: unknown[] = [];
  for (const id of (cmd.cursors ?? []) as unknown[]) (state.killCursor(toNumber(id) ?? 0) ? killed : notFound).push(id);
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
}

export function aggregateCommand(state: WireState, db: string, cmd: Document): Document {
  if (typeof cmd.aggregate !== 'string') throw new CommandError(115, 'CommandNotSupported', 'database-level aggregate is not supported by the test server');
  const coll = state.collection(db, cmd.aggregate);
  const pipeline = (cmd.pipeline ?? []) as Document[];
  for (const stage of pipeline) {
    const op = Object.keys(stage)[0];
    if (op === '$out' || op === '$merge') throw new CommandError(115, 'CommandNotSupported', `${op} is not supported by the test server`);
  }
  let docs: Document[];
  try {
    // $match first uses the same unique-index fast path as find.
    const first = pipeline[0]?.$match as Document | undefined;
    const input = first ? coll?.candidates(first) ?? [] : coll?.docs ?? [];
    docs = new Aggregator(pipeline, {}).run(input) as Document[];
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError(2, 'BadValue', (error as Error).message);
  }
  return { cursor: state.openCursor(`${db}.${cmd.aggregate}`, docs, toNumber(cmd.cursor?.batchSize)), ok: 1 };
}

export function countCommand(state: WireState, db: string, cmd: Document): Document {
  let n = matching(state, db, cmd.count, cmd.query).length;
  const skip = toNumber(cmd.skip) ?? 0;
  const limit = toNumber(cmd.limit) ?? 0;
  n = Math.max(0, n - skip);
  if (limit > 0) n = Math.min(n, limit);
  return { n, ok: 1 };
}

export function distinctCommand(state: WireState, db: string, cmd: Document): Document {
  const values: unknown[] = [];
  const seen = new Set<string>();
  const add = (value: unknown) => {
    if (value === undefined) return;
    if (Array.isArray(value)) {
      for (const v of value) add(v);
      return;
    }
    const key = JSON.stringify(value) + typeof value + (value instanceof Date ? 'date' : '');
    if (seen.has(key)) return;
    seen.add(key);
    values.push(value);
  };
  for (const doc of matching(state, db, cmd.distinct, cmd.query)) add(resolve(doc, String(cmd.key)));
  return { values, ok: 1 };
}
