// Write commands of the test server: insert, update, delete, findAndModify (semantics from mingo).
import type { Document } from 'bson';
import { CommandError } from './errors.js';
import { compileFilter } from './match.js';
import { projectDoc } from './shape.js';
import { applyUpdate, buildUpsert } from './update-apply.js';
import { toNumber, type WireState } from './state.js';

/** Set by the server's latency mode on an upsert that matched nothing when it arrived: it then inserts without matching again. */
export const UPSERT_PROBE_MISSED = '$daqflowUpsertProbeMissed';

/** Upserts whose query matches no document right now: true (findAndModify), the statement indexes (update), or false. */
export function upsertMissesNow(state: WireState, cmd: Document): boolean | number[] {
  const name = Object.keys(cmd)[0]?.toLowerCase();
  const db = typeof cmd.$db === 'string' ? cmd.$db : 'admin';
  const misses = (collName: unknown, query: unknown) => {
    const coll = state.collection(db, String(collName));
    return !coll || coll.find((query ?? {}) as Document, compileFilter(query)).length === 0;
  };
  if (name === 'findandmodify') return cmd.upsert === true && misses(cmd.findAndModify ?? cmd.findandmodify, cmd.query);
  if (name !== 'update') return false;
  const missed = ((cmd.updates ?? []) as Document[]).flatMap((u, i) => (u.upsert === true && misses(cmd.update, u.q) ? [i] : []));
  return missed.length > 0 ? missed : false;
}

type WriteError = { index: number; code: number; codeName?: string; errmsg: string; [k: string]: unknown };

function writeReply(n: number, writeErrors: WriteError[], extra: Document = {}): Document {
  const reply: Document = { n, ...extra, ok: 1 };
  if (writeErrors.length > 0) reply.writeErrors = writeErrors;
  return reply;
}

function asWriteError(index: number, error: unknown): WriteError {
  if (error instanceof CommandError) return { index, code: error.code, codeName: error.codeName, errmsg: error.errmsg, ...error.extra };
  throw error;
}


export function insertCommand(state: WireState, db: string, cmd: Document): Document {
  const coll = state.ensureCollection(db, cmd.insert);
  const docs = (cmd.documents ?? []) as Document[];
  const ordered = cmd.ordered !== false;
  const errors: WriteError[] = [];
  let n = 0;
  for (const [index, doc] of docs.entries()) {
    try {
      coll.insert(doc);
      n++;
    } catch (error) {
      errors.push(asWriteError(index, error));
      if (ordered) break;
    }
  }
  return writeReply(n, errors);
}

export function updateCommand(state: WireState, db: string, cmd: Document): Document {
  const coll = state.ensureCollection(db, cmd.update);
  const ordered = cmd.ordered !== false;
  const errors: WriteError[] = [];
  const upserted: Document[] = [];
  let n = 0;
  let nModified = 0;
  for (const [index, stmt] of ((cmd.updates ?? []) as Document[]).entries()) {
    try {
      const query = (stmt.q ?? {}) as Document;
      const raced = Array.isArray(cmd[UPSERT_PROBE_MISSED]) && (cmd[UPSERT_PROBE_MISSED] as number[]).includes(index);
      const matches = raced ? [] : coll.find(query, compileFilter(query));
      const targets = stmt.multi ? matches : matches.slice(0, 1);
      if (targets.length === 0 && stmt.upsert) {
        const doc = buildUpsert(query, stmt.u, stmt.arrayFilters);
        coll.insert(doc);
        upserted.push({ index, _id: doc._id });
        n++;
        continue;
      }
      for (const target of targets) {
        const { doc, changed } = applyUpdate(target, stmt.u, { query, arrayFilters: stmt.arrayFilters });
        n++;
        if (!changed) continue;
        coll.replace(target, doc);
        nModified++;
      }
    } catch (error) {
      errors.push(asWriteError(index, error));
      if (ordered) break;
    }
  }
  return writeReply(n, errors, upserted.length > 0 ? { nModified, upserted } : { nModified });
}

export function deleteCommand(state: WireState, db: string, cmd: Document): Document {
  const coll = state.collection(db, cmd.delete);
  let n = 0;
  for (const stmt of (cmd.deletes ?? []) as Document[]) {
    if (!coll) continue;
    const query = (stmt.q ?? {}) as Document;
    const matches = coll.find(query, compileFilter(query));
    const targets = toNumber(stmt.limit) === 1 ? matches.slice(0, 1) : matches;
    for (const doc of targets) coll.remove(doc);
    n += targets.length;
  }
  return writeReply(n, []);
}

export function findAndModifyCommand(state: WireState, db: string, cmd: Document): Document {
  const name = cmd.findAndModify ?? cmd.findandmodify;
  const coll = state.ensureCollection(db, name);
  const query = (cmd.query ?? {}) as Document;
  const target = cmd[UPSERT_PROBE_MISSED] === true ? undefined : coll.find(query, compileFilter(query), cmd.sort as Document | undefined, 1)[0];
  const project = (doc: Document | null): Document | null => (doc ? projectDoc(doc, cmd.fields as Document | undefined) : null);
  if (cmd.remove) {
    if (target) coll.remove(target);
    return { lastErrorObject: { n: target ? 1 : 0 }, value: project(target ?? null), ok: 1 };
  }
  if (cmd.update === undefined) throw new CommandError(9, 'FailedToParse', 'Either an update or remove=true must be specified');
  if (!target) {
    if (!cmd.upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
    const doc = buildUpsert(query, cmd.update, cmd.arrayFilters);
    coll.insert(doc);
    return { lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id }, value: project(cmd.new ? doc : null), ok: 1 };
  }
  const { doc, changed } = applyUpdate(target, cmd.update, { query, arrayFilters: cmd.arrayFilters });
  // The pre-image is copied first: replace() turns the stored object into the new document in place.
  const value = project(cmd.new ? doc : { ...target });
  if (changed) coll.replace(target, doc);
  return { lastErrorObject: { n: 1, updatedExisting: true }, value, ok: 1 };
}
