// Upserts of run documents in MongoDB: the $set/$setOnInsert update, bulk upserts that survive upsert races, and the integral-number filter.
import type { Collection, Document } from 'mongodb';
import { INSERT_ONLY } from './doc-ops.js';
import { toStored, type RunFields } from './fields.js';
import type { RunUpsert } from './types.js';

export const UPSERT_CHUNK = 1000;
const DUPLICATE_KEY = 11000;

type UpsertOp = { updateOne: { filter: Document; update: Document; upsert: boolean } };

/** Two processes inserted the same new run at once; the loser's operation can be retried as an update. */
export function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: number }).code === DUPLICATE_KEY;
}

/**
 * `$set` of the given top-level fields (never `_id`, stored names); `$setOnInsert` of the number and of the shared
 * lists (`data`, `deleted_data`), which an existing run keeps: entries are added with addData, never by rewriting.
 */
export function upsertUpdate(run: RunUpsert, fields: RunFields): Document {
  const { number, ...rest } = run;
  const given = Object.entries(rest).filter(([k, v]) => v !== undefined && k !== '_id');
  const set = toStored(fields, Object.fromEntries(given.filter(([k]) => !INSERT_ONLY.has(k))));
  const onInsert = toStored(fields, Object.fromEntries(given.filter(([k]) => INSERT_ONLY.has(k))));
  const update: Document = { $setOnInsert: { [fields.number]: number, ...onInsert } };
  if (Object.keys(set).length > 0) update.$set = set;
  return update;
}

/** Only documents whose number is an integer of any numeric BSON type (mongosh writes doubles, pymongo int32/int64). */
export function integralNumber(field: string): Document {
  return { [field]: { $type: ['int', 'long', 'double'] }, $expr: { $eq: [{ $trunc: [`$${field}`, 0] }, `$${field}`] } };
}

/** An unordered bulk upsert; operations that lost an upsert race (duplicate key) are retried once as updates. */
export async function bulkUpsert(runs: Collection, ops: UpsertOp[], maxTimeMS: number): Promise<number> {
  try {
    return (await runs.bulkWrite(ops, { ordered: false, maxTimeMS })).upsertedCount;
  } catch (error) {
    const e = error as { code?: number; writeErrors?: Array<{ code: number; index: number }> | { code: number; index: number }; result?: { upsertedCount: number } };
    const writeErrors = e.writeErrors === undefined ? [] : Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors];
    if (writeErrors.length === 0 || writeErrors.some((w) => w.code !== DUPLICATE_KEY)) throw error;
    const again = writeErrors.map((w) => ops[w.index]!);
    await runs.bulkWrite(again, { ordered: false, maxTimeMS });
    return e.result?.upsertedCount ?? 0;
  }
}
