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

export function applyClaim(run: RunDoc, stateField: string, stage: string, options: ClaimOptions, now: Date): void {
  applyStageUpdate(run, stateField, stage, { set: { ...options.set, state: options.to, host: options.host } }, now);
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

/** The `data` array after adding `entry` (replacing the one with the same type, host and location). */
export function withDataEntry(data: readonly DataEntry[] | undefined, entry: DataEntry): DataEntry[] {
  const list = [...(data ?? [])];
  const at = list.findIndex((e) => sameEntry(e, entry));
  if (at >= 0) list[at] = entry;
  else list.push(entry);
  return list;
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
