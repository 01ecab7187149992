// auto-process, steps 5–6: is submission paused, how many slots are free, and which runs are eligible, best first.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/schema.js';
import { stageOf, type RunDoc, type RunStore } from '../../rundb/index.js';
import { PROCESS } from './constants.js';
import type { DiskSample } from './recovery.js';

/** The runs-DB config document whose `paused: true` stops submission on every host. */
export const PAUSE_DOC = 'auto_process';

/** Why nothing may be submitted now (pause switch, full disk), or null. */
export async function submissionBlocked(store: RunStore, config: Config, workDir: string, disk: DiskSample): Promise<string | null> {
  const file = path.join(workDir, config.auto_process.pause_file);
  if (fs.existsSync(file)) return `paused: ${file} exists`;
  const doc = await store.getConfigDoc(PAUSE_DOC);
  if (doc?.paused === true) return `paused: the runs-DB config document ${PAUSE_DOC} says paused${typeof doc.reason === 'string' ? ` (${doc.reason})` : ''}`;
  const limit = 1 - config.auto_process.min_free_disk_fraction;
  if (disk.used_fraction > limit) return `disk of ${disk.path} is ${(disk.used_fraction * 100).toFixed(1)} % full (limit ${(limit * 100).toFixed(1)} %)`;
  return null;
}

export interface EligibleQuery {
  now: Date;
  /** Only failed runs, whatever their next_retry (--retry-failed). */
  retryFailed: boolean;
  /** How many eligible runs to return at most. */
  want: number;
}

/**
 * Eligible runs in `auto_process.order`: no processing state, pending, or failed with `next_retry` passed and fewer
 * than `max_failures` failures; never abandoned; not tagged `hold_tag`; ended (require_end); started within
 * window_days; matching the user filter. Read in pages so a few held runs never hide the rest.
 */
export async function eligibleRuns(store: RunStore, config: Config, q: EligibleQuery): Promise<RunDoc[]> {
  const ap = config.auto_process;
  const out: RunDoc[] = [];
  if (q.want <= 0) return out;
  const order = ap.order === 'newest' ? 'desc' : 'asc';
  const since = ap.window_days === null ? null : q.now.getTime() - ap.window_days * 86_400_000;
  const page = Math.max(100, q.want * 4);
  let bound: number | undefined;
  for (;;) {
    const docs = await store.listRuns({
      stage: PROCESS, states: q.retryFailed ? ['failed'] : ['pending', 'failed'], dueBy: q.retryFailed ? undefined : q.now,
      order, limit: page, fields: ['start', 'end', 'tags'],
      ...(bound === undefined ? {} : order === 'desc' ? { max: bound - 1 } : { min: bound + 1 }),
    });
    for (const doc of docs) {
      if (isEligible(doc, store.stateField, config, since)) out.push(doc);
      if (out.length >= q.want) return out;
    }
    if (docs.length < page) return out;
    bound = docs.at(-1)!.number;
  }
}

function isEligible(doc: RunDoc, stateField: string, config: Config, since: number | null): boolean {
  const ap = config.auto_process;
  const state = stageOf(doc, stateField, PROCESS);
  if ((state?.n_failures ?? 0) >= ap.max_failures) return false;
  if ((doc.tags ?? []).some((t) => t?.name === ap.hold_tag)) return false;
  if (ap.require_end && !(doc.end instanceof Date)) return false;
  if (since !== null && !(doc.start instanceof Date && doc.start.getTime() >= since)) return false;
  return true;
}
