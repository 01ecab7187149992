// The one incremental-pass harness: lock, ledger, candidate selection, bounded concurrency, signals, summary.
import os from 'node:os';
import pLimit from 'p-limit';
import { workPaths } from '../config/resolve-paths.js';
import type { Config } from '../config/schema.js';
import { errorMessage, type DaqflowError } from '../errors.js';
import type { Logger } from '../log/index.js';
import { Ledger } from './ledger.js';
import { acquireStageLock, type StageLock } from './lock.js';
import { RetryPolicy } from './retry.js';
import { runOne, type ProcessRun } from './run-one.js';
import { selectCandidates, type PassMode } from './selection.js';
import { watchSignals, type SignalWatch } from './signals.js';
import { describeSummary, type PassSummary, type SummaryHook } from './summary.js';

export type { RunContext, RunOutcome } from './run-one.js';

export interface StageWork {
  stage: string;
  /** Numbers of the runs that exist in the stage's source (any order). */
  listSourceRuns(): Promise<number[]>;
  /** Runs already at the destination; full passes skip them. */
  listDestinationRuns?(): Promise<Set<number>>;
  processRun: ProcessRun;
}

export interface PassOptions {
  config: Config;
  logger: Logger;
  mode: PassMode;
  dryRun?: boolean;
  only?: readonly number[];
  concurrency?: number;
  command?: string;
  now?: () => Date;
  random?: () => number;
  hooks?: readonly SummaryHook[];
  /** Install SIGINT/SIGTERM handlers (default true; the CLI always does). */
  handleSignals?: boolean;
}

/**
 * One pass of a stage:
 * 1. take the stage lock (exit 75 at once if a live pass holds it; a dead holder's lock is taken over when stale);
 * 2. load the ledger (a corrupt one stops everything with exit 3) and select the candidate runs;
 * 3. process them with bounded concurrency, saving every outcome the moment it happens;
 * 4. on SIGINT/SIGTERM start nothing new and let in-flight runs finish (a second signal aborts them);
 * 5. save, release the lock, report the summary to the log and the hooks.
 */
export async function runPass(work: StageWork, options: PassOptions): Promise<PassSummary> {
  const now = options.now ?? (() => new Date());
  const log = options.logger.child({ stage: work.stage });
  const summary = emptySummary(work.stage, options, now());
  const t0 = performance.now();
  const stop = new AbortController();
  let passError: DaqflowError | undefined;
  const lock = options.dryRun ? null : await takeLock(work.stage, options, log, stop);
  const signals = options.handleSignals === false ? null : watchPassSignals(log);
  const signal = signals ? AbortSignal.any([signals.abortSignal, stop.signal]) : stop.signal;
  try {
    const { stateDir } = workPaths(options.config);
    if (lock) Ledger.removeStaleTemps(stateDir, work.stage);
    const ledger = Ledger.load(stateDir, work.stage);
    summary.ledger = ledger.file;
    const sourceRuns = [...new Set(await work.listSourceRuns())].sort((a, b) => a - b);
    const destinationRuns = options.mode === 'full' && work.listDestinationRuns ? await work.listDestinationRuns() : undefined;
    const selection = selectCandidates({
      mode: options.mode, ledger, sourceRuns, destinationRuns, now: now(),
      only: options.only ? new Set(options.only) : undefined, batchSize: options.config.pass.batch_size,
    });
    summary.candidates = selection.candidates.length;
    summary.skipped.push(...selection.waiting);
    log.info(`${sourceRuns.length} runs in the source, ${selection.candidates.length} to process`, { mode: options.mode, last_contiguous_run: ledger.lastContiguousRun });

    if (options.dryRun) {
      summary.planned = selection.candidates.map((c) => c.run);
    } else {
      const deps = {
        ledger, sourceRuns, summary, log, signal, now,
        policy: new RetryPolicy(options.config.retry, options.random),
        stopPass: (error: DaqflowError) => (passError ??= error),
      };
      const stopping = (): boolean => signals?.received != null || stop.signal.aborted || passError !== undefined;
      const limit = pLimit(options.concurrency ?? options.config.pass.concurrency);
      await Promise.all(selection.candidates.map((c) => limit(() => (stopping() ? undefined : runOne(c, work.processRun, deps)))));
      // Outcomes were saved as they happened; this save also leaves a ledger after a pass that finished nothing.
      ledger.save();
    }
    summary.last_contiguous_run = ledger.lastContiguousRun;
  } finally {
    signals?.dispose();
    await lock?.release();
  }
  finishSummary(summary, signals, now(), t0);
  log.info(describeSummary(summary));
  await runHooks(options.hooks ?? [], summary, log);
  if (passError !== undefined) throw passError;
  return summary;
}

function emptySummary(stage: string, options: PassOptions, started: Date): PassSummary {
  return {
    stage, mode: options.mode, host: options.config.host ?? os.hostname(), dry_run: options.dryRun ?? false,
    started_at: started.toISOString(), ended_at: started.toISOString(), duration_s: 0, candidates: 0,
    done: [], failed: [], skipped: [], planned: [], aborted: [], interrupted: null, last_contiguous_run: null, ledger: null,
  };
}

function takeLock(stage: string, options: PassOptions, log: Logger, stop: AbortController): Promise<StageLock> {
  const { pass } = options.config;
  return acquireStageLock({
    locksDir: workPaths(options.config).locksDir,
    stage,
    staleMs: pass.lock_stale_s * 1000,
    updateMs: pass.lock_update_s * 1000,
    command: options.command,
    onTakeover: (previous, ageMs) =>
      log.warn(`took over a stale lock (no update for ${(ageMs / 1000).toFixed(0)} s)`, {
        previous_host: previous?.host, previous_pid: previous?.pid, previous_since: previous?.since,
      }),
    onCompromised: (error) => {
      log.error(`lost the stage lock (${error.message}); stopping at once`);
      stop.abort(error);
    },
  });
}

function watchPassSignals(log: Logger): SignalWatch {
  return watchSignals({
    onFirst: (signal) => log.warn(`${signal} received: no new runs will start; finishing in-flight runs (send again to abort them)`),
    onSecond: (signal) => log.warn(`second ${signal}: aborting in-flight runs`),
  });
}

function finishSummary(summary: PassSummary, signals: SignalWatch | null, ended: Date, t0: number): void {
  summary.interrupted = signals?.received ?? null;
  summary.ended_at = ended.toISOString();
  summary.duration_s = Math.round(performance.now() - t0) / 1000;
  for (const list of [summary.done, summary.failed, summary.skipped]) list.sort((a, b) => a.run - b.run);
  summary.aborted.sort((a, b) => a - b);
}

/** Hooks (notifications, metrics) run after the ledger is saved; their failures are logged, never fatal. */
async function runHooks(hooks: readonly SummaryHook[], summary: PassSummary, log: Logger): Promise<void> {
  for (const hook of hooks) {
    try {
      await hook(summary);
    } catch (error) {
      log.error(`summary hook failed (the ledger is already saved): ${errorMessage(error)}`);
    }
  }
}
