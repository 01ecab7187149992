// The last-copy guard: which other copies of a data type a run has, whoever registered them (daqflow, straxen, rucio, migrate).
import fs from 'node:fs';
import type { DataEntry } from '../../rundb/index.js';
import { globMatcher } from '../../util/glob.js';

/** Statuses other software gives a finished copy; an entry without a status is a finished copy (straxen, daqflow). */
const GOOD_STATUS = new Set(['transferred', 'done', 'ok', 'complete', 'verified']);

export interface CopyContext {
  host: string;
  /** Data types that count as raw data (clean.raw_types). */
  isRaw: (type: string) => boolean;
  minRawCopies: number;
}

export const rawMatcher = (patterns: readonly string[]): ((type: string) => boolean) => globMatcher(patterns);

const isGood = (e: DataEntry): boolean => e.status === undefined || e.status === null || GOOD_STATUS.has(String(e.status));

/** Does `e` hold a copy of `type`? The archive entry holds what its `contents` lists. */
function holds(e: DataEntry, type: string, ctx: CopyContext): boolean {
  if (e.type === 'archive') return Array.isArray(e.contents) && e.contents.map(String).includes(type);
  // Live data is raw data: any raw type's copy is a copy of it.
  if (type === 'live') return ctx.isRaw(e.type);
  return e.type === type;
}

/** This host's copies must still be on disk to count; other hosts' (and rucio's) are taken at their word. */
function present(e: DataEntry, ctx: CopyContext): boolean {
  return e.host !== ctx.host || fs.existsSync(e.location);
}

/** The other finished copies of `type` besides the one at `location`. */
export function otherCopies(entries: readonly DataEntry[], type: string, location: string, ctx: CopyContext): DataEntry[] {
  return entries.filter((e) => e.location !== location && holds(e, type, ctx) && isGood(e) && present(e, ctx));
}

/** Copies needed elsewhere before one of `type` may go: raw data (and live data) needs min_raw_copies, anything else one. */
export function copiesNeeded(type: string, ctx: CopyContext): number {
  return type === 'live' || ctx.isRaw(type) ? ctx.minRawCopies : 1;
}

/** Null when deleting the copy at `location` is allowed, else why not. */
export function lastCopyGuard(entries: readonly DataEntry[], type: string, location: string, ctx: CopyContext): string | null {
  const others = otherCopies(entries, type, location, ctx);
  const needed = copiesNeeded(type, ctx);
  return others.length >= needed ? null : `only ${others.length} other cop${others.length === 1 ? 'y' : 'ies'} of ${type === 'live' ? 'the raw data' : type} (${needed} needed)`;
}
