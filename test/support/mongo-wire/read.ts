// Read commands of the test server: find/getMore/killCursors, aggregate, count, distinct (semantics from mingo).
import type { Document } from 'bson';
import { Aggregator } from 'mingo';
import { resolve } from 'mingo/util';
import { CommandError } from './errors.js';
import { promote } from './bson-values.js';
import { compileFilter } from './match.js';
import { projectDoc } from './shape.js';
import { toNumber, type WireState } from './state.js';

function matching(state: WireState, db: string, name: string, filter: unknown, sort?: Document, limit = 0): Document[] {
  const coll = state.collection(db, name);
  const matcher = compileFilter(filter);
  return coll ? coll.find((filter ?? {}) as Document, matcher, sort, limit) : [];
}

export function findCommand(state: WireState, db: string, cmd: Document): Document {
  let limit = toNumber(cmd.limit) ?? 0;
  let singleBatch = cmd.singleBatch === true;
  if (limit < 0) {
    limit = -limit;
    singleBatch = true;
  }
  const skip = toNumber(cmd.skip) ?? 0;
  const sort = cmd.sort && Object.keys(cmd.sort).length > 0 ? (cmd.sort as Document) : undefined;
  let docs = matching(state, db, cmd.find, cmd.filter, sort, limit > 0 ? skip + limit : 0);
  docs = docs.slice(skip, limit > 0 ? skip + limit : undefined).map((d) => projectDoc(d, cmd.projection as Document | undefined));
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
    // A leading $match is the server's own (strict, index fast path); the rest of the pipeline runs in mingo.
    const first = pipeline[0]?.$match as Document | undefined;
    const input = first ? coll?.find(first, compileFilter(first)) ?? [] : coll?.docs ?? [];
    // mingo computes on plain JS numbers: later stages see promoted copies (their output's numeric types are mingo's).
    const rest = promote(first ? pipeline.slice(1) : pipeline) as Document[];
    docs = rest.length > 0 ? (new Aggregator(rest, {}).run(input.map((d) => promote(d) as Document)) as Document[]) : input;
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
