// recover-state: rebuild stage ledgers from the sources of truth, show the difference, write atomically (under the stage lock).
import { workPaths } from '../config/resolve-paths.js';
import type { Config } from '../config/schema.js';
import { ConfigError, ServiceUnavailableError } from '../errors.js';
import type { Logger } from '../log/index.js';
import { acquireStageLock, type LedgerData, type StageLock } from '../pass/index.js';
import type { RunStore } from '../rundb/index.js';
import type { ArchiveTarget } from '../archive/index.js';
import { scanAll, truthsOf } from './build.js';
import { abbreviate, sortRuns, toRanges, type Abbreviated, type RunRange } from './ranges.js';
import { rebuildLedger } from './rebuild.js';
import { loadLedger } from './stage-report.js';
import { LEDGER_OF, REPORT_STAGES, type ReportStage } from './truth.js';

export const RECOVER_STAGES = REPORT_STAGES;

export interface RecoverOptions {
  config: Config;
  stages: readonly ReportStage[];
  dryRun?: boolean;
  store?: RunStore;
  archive?: ArchiveTarget;
  logger?: Logger;
  now?: () => Date;
  command?: string;
}

export interface LedgerChange {
  stage: ReportStage;
  file: string;
  /** What was there: null when there was no ledger, the error when it was corrupt. */
  before: { last_contiguous_run: number | null; done_above: number; failed: number; error: string | null } | null;
  after: { last_contiguous_run: number | null; done_above: number; failed: number };
  /** Runs the rebuilt ledger calls done that the old one did not, and the reverse; failures added and removed. */
  now_done: Abbreviated<RunRange>;
  no_longer_done: Abbreviated<RunRange>;
  failed_added: number[];
  failed_removed: number[];
  changed: boolean;
  written: boolean;
}

export interface RecoverResult {
  dry_run: boolean;
  changes: LedgerChange[];
}

function doneSet(data: LedgerData | null, sourceRuns: readonly number[]): Set<number> {
  if (!data) return new Set();
  const mark = data.last_contiguous_run;
  return new Set([...(mark === null ? [] : sourceRuns.filter((r) => r <= mark)), ...data.done_above]);
}

const ranges = (runs: number[]) => abbreviate(toRanges(sortRuns(runs)));

export async function recoverState(options: RecoverOptions): Promise<RecoverResult> {
  const { config } = options;
  const now = (options.now ?? (() => new Date()))();
  const paths = workPaths(config);
  // The locks first, so no pass changes a ledger between the scan and the write.
  const locks: StageLock[] = [];
  try {
    if (!options.dryRun) {
      for (const stage of options.stages) {
        locks.push(await acquireStageLock({
          locksDir: paths.locksDir, stage: LEDGER_OF[stage], staleMs: config.pass.lock_stale_s * 1000, updateMs: config.pass.lock_update_s * 1000, command: options.command ?? 'recover-state',
        }));
      }
    }
    return await rebuildAll(options, now);
  } finally {
    for (const lock of locks) await lock.release();
  }
}

async function rebuildAll(options: RecoverOptions, now: Date): Promise<RecoverResult> {
  const { config } = options;
  const paths = workPaths(config);
  const scanned = await scanAll(options);
  try {
    const truths = truthsOf(scanned.scans, config);
    const changes: LedgerChange[] = [];
    for (const stage of options.stages) {
      const truth = truths[stage];
      if (!truth.configured) throw new ConfigError(`recover-state ${stage}: the stage is not configured (its source is ${truth.source}); nothing to rebuild`, { context: { stage } });
      // A ledger rebuilt from a source that did not answer would be wrong: refuse, change nothing.
      if (truth.error) throw new ServiceUnavailableError(`recover-state ${stage}: ${truth.error}; no ledger was changed`, { context: { stage } });
      {
        const loaded = loadLedger(paths.stateDir, truth.ledgerStage);
        const old = loaded.ledger?.toJSON() ?? null;
        const rebuilt = rebuildLedger(paths.stateDir, truth, now);
        const next = rebuilt.toJSON();
        const before = doneSet(old, truth.sourceRuns);
        const after = doneSet(next, truth.sourceRuns);
        const oldFailed = Object.keys(old?.failed ?? {}).map(Number);
        const newFailed = Object.keys(next.failed).map(Number);
        const change: LedgerChange = {
          stage, file: loaded.file,
          before: loaded.error ? { last_contiguous_run: null, done_above: 0, failed: 0, error: loaded.error } : old && { last_contiguous_run: old.last_contiguous_run, done_above: old.done_above.length, failed: oldFailed.length, error: null },
          after: { last_contiguous_run: next.last_contiguous_run, done_above: next.done_above.length, failed: newFailed.length },
          now_done: ranges([...after].filter((r) => !before.has(r))),
          no_longer_done: ranges([...before].filter((r) => !after.has(r))),
          failed_added: newFailed.filter((r) => !oldFailed.includes(r)),
          failed_removed: oldFailed.filter((r) => !newFailed.includes(r)),
          changed: false,
          written: false,
        };
        change.changed = loaded.error !== null || old === null || JSON.stringify({ ...old, updated_at: null }) !== JSON.stringify({ ...next, updated_at: null });
        if (change.changed && !options.dryRun) {
          rebuilt.save();
          change.written = true;
          options.logger?.info(`recover-state: rebuilt ${loaded.file} (mark ${next.last_contiguous_run ?? 'none'}, ${next.done_above.length} done above, ${newFailed.length} failed)`);
        }
        changes.push(change);
      }
    }
    return { dry_run: options.dryRun ?? false, changes };
  } finally {
    await scanned.close();
  }
}
