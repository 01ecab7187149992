// Data entries in MongoDB with targeted updates only: other tools' entries are never read back and written.
import { BSON, type Collection, type Document } from 'mongodb';
import { InternalError } from '../errors.js';
import { entryMatches, isPlainObject } from './doc-ops.js';
import type { RunFields } from './fields.js';
import type { DataMatch } from './store.js';
import type { DataEntry, DeletedDataEntry } from './types.js';

const ATTEMPTS = 8;
const IDENTITY = ['type', 'host', 'location'] as const;

export interface DataOpsContext {
  runs: Collection;
  fields: RunFields;
  /** Which document is the run (its number under the configured field, any numeric BSON type). */
  runFilter: Document;
  /** maxTimeMS and the projection of the returned document. */
  options: { maxTimeMS: number; projection: Document };
  guard<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * Adds `entry` (already stamped): `$push` guarded by `$not: {$elemMatch: identity}`, else `$set` of each of its fields
 * on `data.$[e]` with an array filter on the identity. Returns the run after the write (its `data` holding just this
 * entry), or null when there is no run.
 */
export async function pushOrSetDataEntry(ctx: DataOpsContext, entry: DataEntry): Promise<Document | null> {
  const D = ctx.fields.data;
  const identity = Object.fromEntries(IDENTITY.map((k) => [k, entry[k]]));
  // The run comes back with only this entry in `data` ($elemMatch projection), not the whole list.
  const after = { ...ctx.options, projection: { ...ctx.options.projection, [D]: { $elemMatch: identity } }, returnDocument: 'after' as const };
  const set: Document = {};
  for (const [key, value] of Object.entries(entry)) {
    if ((IDENTITY as readonly string[]).includes(key)) continue;
    if (key === 'meta' && isPlainObject(value)) for (const [mk, mv] of Object.entries(value)) set[`${D}.$[e].meta.${mk}`] = mv;
    else set[`${D}.$[e].${key}`] = value;
  }
  const arrayFilters = [Object.fromEntries(IDENTITY.map((k) => [`e.${k}`, entry[k]]))];
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const pushed = await ctx.guard(() => ctx.runs.findOneAndUpdate({ ...ctx.runFilter, [D]: { $not: { $elemMatch: identity } } }, { $push: { [D]: entry } } as Document, after));
    if (pushed) return pushed;
    const updated = await ctx.guard(() => ctx.runs.findOneAndUpdate({ ...ctx.runFilter, [D]: { $elemMatch: identity } }, { $set: set }, { ...after, arrayFilters }));
    if (updated) return updated;
    // Neither matched: no such run, or another process removed the entry between the two writes (then try again).
    const exists = await ctx.guard(() => ctx.runs.findOne(ctx.runFilter, { projection: { _id: 1 }, maxTimeMS: ctx.options.maxTimeMS }));
    if (!exists) return null;
  }
  throw new InternalError(`data entry ${entry.type} on ${entry.host} kept appearing and disappearing during addData (${ATTEMPTS} attempts); run the pass again`);
}

/**
 * Moves the entries matching `match` to `deleted_data`: reads the data array (BSON types kept), then one update
 * guarded on each of them being still there exactly as read, which `$pull`s exactly them and `$push`es the stamped copies.
 */
export async function moveDataEntries(ctx: DataOpsContext, match: DataMatch, info: { by: string; reason: string }, now: Date): Promise<DeletedDataEntry[]> {
  const { data: D, deleted_data: DD } = ctx.fields;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    // Only the data array is read, with BSON types kept, so the guard below compares exactly what is stored.
    const doc = await ctx.guard(() =>
      ctx.runs.findOne(ctx.runFilter, { projection: { _id: 0, [D]: 1 }, maxTimeMS: ctx.options.maxTimeMS, promoteValues: false, promoteLongs: false }),
    );
    const data = doc?.[D];
    const found = (Array.isArray(data) ? data : []).filter((e: unknown): e is Document => isPlainObject(e) && entryMatches(promoted(e) as DataEntry, match));
    if (found.length === 0) return [];
    const moved = found.map((raw) => {
      const { at, ...rest } = raw;
      return { ...rest, ...(at !== undefined ? { added_at: at } : {}), at: now, by: info.by, reason: info.reason };
    });
    const guardFilter = { ...ctx.runFilter, $and: found.map((e) => ({ [D]: e })) };
    const update: Document = { $pull: { [D]: { $in: found } }, $push: { [DD]: { $each: moved } } };
    const result = await ctx.guard(() => ctx.runs.updateOne(guardFilter, update, { maxTimeMS: ctx.options.maxTimeMS }));
    if (result.matchedCount === 1) return moved.map((m) => promoted(m) as DeletedDataEntry);
  }
  throw new InternalError(`data entries of type ${match.type} kept changing during removeData (${ATTEMPTS} attempts); run the pass again`);
}

/** Plain JS values (numbers instead of Int32/Double/Long wrappers) for the API. */
function promoted(doc: Document): Document {
  return BSON.deserialize(BSON.serialize(doc));
}
