// Pure document edits shared by the backends: stage updates, claims, data entries, stage-state matching.
import type { ClaimOptions, DataMatch, StageUpdate } from './store.js';
import { stageOf, type DataEntry, type DeletedDataEntry, type ProcessState, type RunDoc, type StageState } from './types.js';

/** Does the run's stage state satisfy `states` (pending includes a missing sub-document)? */
export function stateMatches(run: RunDoc, stateField: string, stage: string, states: readonly ProcessState[]): boolean {
  const current = stageOf(run, stateField, stage)?.state;
  return current === undefined || current === null ? states.includes('pending') : states.includes(current);
}

export function isDue(run: RunDoc, stateField: string, stage: string, dueBy: Date | undefined): boolean {
  if (!dueBy) return true;
  const next = stageOf(run, stateField, stage)?.next_retry;
  return !(next instanceof Date) || next.getTime() <= dueBy.getTime();
}

function stageContainer(run: RunDoc, stateField: string, stage: string): StageState {
  let states = run[stateField] as Record<string, unknown> | undefined;
  if (!states || typeof states !== 'object') {
    states = {};
    run[stateField] = states;
  }
  let sub = states[stage] as StageState | undefined;
  if (!sub || typeof sub !== 'object') {
    sub = {} as StageState;
    states[stage] = sub;
  }
  return sub;
}

/** Applies a StageUpdate in place (the same effect as the MongoDB $set/$unset/$inc the mongo backend sends). */
export function applyStageUpdate(run: RunDoc, stateField: string, stage: string, update: StageUpdate, now: Date): void {
  const sub = stageContainer(run, stateField, stage);
  for (const [key, value] of Object.entries(update.set ?? {})) if (value !== undefined) sub[key] = value;
  for (const key of update.unset ?? []) delete sub[key];
  if (update.incFailures) sub.n_failures = (typeof sub.n_failures === 'number' ? sub.n_failures : 0) + update.incFailures;
  sub.updated_at = now;
}

/** A claim sets state, host, the caller's fields, and claim_id (which lets a claim of unknown outcome be found again). */
export function applyClaim(run: RunDoc, stateField: string, stage: string, options: ClaimOptions, now: Date, claimId: string): void {
  applyStageUpdate(run, stateField, stage, { set: { ...options.set, state: options.to, host: options.host, claim_id: claimId } }, now);
}

export function sameEntry(a: DataEntry, b: Pick<DataEntry, 'type' | 'host' | 'location'>): boolean {
  return a.type === b.type && a.host === b.host && a.location === b.location;
}

export function entryMatches(entry: DataEntry, match: DataMatch): boolean {
  return (
    entry.type === match.type &&
    (match.host === undefined || entry.host === match.host) &&
    (match.location === undefined || entry.location === match.location) &&
    (match.lineage_hash === undefined || entry.lineage_hash === match.lineage_hash)
  );
}

/** strax's name of the file-system storage backend (its spelling), which straxen's RunDB frontend returns as the protocol. */
export const STRAX_FS_PROTOCOL = 'FileSytemBackend';

/**
 * The entry as daqflow stores it: the identifying fields first (type, host, location), strax's `protocol`, `meta.lineage`
 * when the caller knows the lineage, then daqflow's own fields; `at` defaults to now.
 */
export function storedDataEntry(entry: DataEntry, now: Date): DataEntry {
  const { type, host, location, protocol, meta, ...rest } = entry;
  return { type, host, location, protocol: protocol ?? STRAX_FS_PROTOCOL, ...(meta !== undefined ? { meta } : {}), ...rest, at: entry.at ?? now };
}

/**
 * The `data` array after adding `entry`: fields of the entry with the same type, host and location are overwritten
 * (its other fields stay, as with MongoDB's `$set data.$[e].field`), or the entry is appended.
 */
export function withDataEntry(data: readonly DataEntry[] | undefined, entry: DataEntry): DataEntry[] {
  const list = [...(data ?? [])];
  const at = list.findIndex((e) => sameEntry(e, entry));
  if (at >= 0) list[at] = mergeEntry(list[at]!, entry);
  else list.push(entry);
  return list;
}

/** `$set` of each field of `entry` on `old`; a `meta` object is merged one level deep (so meta keys of other tools stay). */
function mergeEntry(old: DataEntry, entry: DataEntry): DataEntry {
  const merged: DataEntry = { ...old };
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'meta' && isPlainObject(value) && isPlainObject(old.meta)) merged.meta = { ...old.meta, ...value };
    else merged[key] = value;
  }
  return merged;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && Object.getPrototypeOf(value) === Object.prototype;
}

/** Splits `data` into what stays and what moves to `deleted_data` (stamped with at, by, reason). */
export function withoutDataEntries(
  data: readonly DataEntry[] | undefined,
  match: DataMatch,
  info: { by: string; reason: string },
  now: Date,
): { kept: DataEntry[]; moved: DeletedDataEntry[] } {
  const kept: DataEntry[] = [];
  const moved: DeletedDataEntry[] = [];
  for (const entry of data ?? []) {
    if (!entryMatches(entry, match)) {
      kept.push(entry);
      continue;
    }
    const { at, ...rest } = entry;
    moved.push({ ...rest, ...(at instanceof Date ? { added_at: at } : {}), at: now, by: info.by, reason: info.reason });
  }
  return { kept, moved };
}

export function validateDataEntry(entry: DataEntry): string | null {
  for (const key of ['type', 'host', 'location'] as const) {
    if (typeof entry[key] !== 'string' || entry[key] === '') return `data entry needs a non-empty ${key}`;
  }
  return null;
}

/** Top-level fields claims and stage updates return: enough to act on, never a whole XENONnT run document. */
export const SUMMARY_FIELDS = ['name', 'mode', 'source', 'start', 'end', 'tags'] as const;
/** Top-level fields addData returns; its `data` holds only the entry as stored (a run can have hundreds). */
export const DATA_FIELDS = ['name', 'data'] as const;

/** The top-level fields a projection keeps: the requested ones, number, the state field and the legacy state's root field. */
export function projectedKeys(fields: readonly string[], stateField: string, legacyField: string | undefined): string[] {
  return [...new Set([...fields, 'number', stateField, ...(legacyField ? [legacyField.split('.')[0]!] : [])])];
}

/** The run with only `keys` (the sqlite side of a MongoDB projection). */
export function pickFields(run: RunDoc, keys: readonly string[]): RunDoc {
  return Object.fromEntries(Object.entries(run).filter(([k]) => keys.includes(k))) as RunDoc;
}

/** Run fields upserts write only when they create the run: lists other software shares (entries go through addData). */
export const INSERT_ONLY: ReadonlySet<string> = new Set(['data', 'deleted_data']);
