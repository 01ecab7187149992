// The one incremental-pass harness: lock, ledger, candidate selection, bounded concurrency, signals, summary.
import os from 'node:os';
import pLimit from 'p-limit';
import { workPaths } from '../config/resolve-paths.js';
import type { Config } from '../config/schema.js';
import { ConfigError, DaqflowError, ServiceUnavailableError, errorMessage } from '../errors.js';
import type { Logger } from '../log/index.js';
import { formatRunId } from '../util/validate.js';
import { Ledger } from './ledger.js';
import { acquireStageLock } from './lock.js';
import { RetryPolicy } from './retry.js';
import { selectCandidates, type PassMode } from './selection.js';
import { watchSignals } from './signals.js';
import { describeSummary, type PassSummary, type SummaryHook } from './summary.js';

export interface RunContext {
  signal: AbortSignal;
  logger: Logger;
  /** 1 for a first attempt. */
  attempt: number;
}

/** What processing one run can return; throwing means the run failed. */
export type RunOutcome = { status: 'done'; detail?: string } | { status: 'skipped'; reason: string };

export interface StageWork {
  stage: string;
  /** Numbers of the runs that exist in the stage's source (any order). */
  listSourceRuns(): Promise<number[]>;
  /** Runs already at the destination; full passes skip them. */
  listDestinationRuns?(): Promise<Set<number>>;
  processRun(run: number, context: RunContext): Promise<RunOutcome | void>;
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

/** Errors that say "the world is broken", not "this run is bad": they stop the pass instead of failing runs. */
function stopsThePass(error: unknown): error is DaqflowError {
  return error instanceof ServiceUnavailableError || error instanceof ConfigError;
}

export async function runPass(work: StageWork, options: PassOptions): Promise<PassSummary> {
  const { config, mode } = options;
  const now = options.now ?? (() => new Date());
  const log = options.logger.child({ stage: work.stage });
  const { stateDir, locksDir } = workPaths(config);
  const started = now();
  const t0 = performance.now();
  const summary: PassSummary = {
    stage: work.stage,
    mode,
    host: config.host ?? os.hostname(),
    dry_run: options.dryRun ?? false,
    started_at: started.toISOString(),
    ended_at: started.toISOString(),
    duration_s: 0,
    candidates: 0,
    done: [],
    failed: [],
    skipped: [],
    planned: [],
    aborted: [],
    interrupted: null,
    last_contiguous_run: null,
    ledger: null,
  };

  const stop = new AbortController();
  const lock = options.dryRun
    ? null
    : await acquireStageLock({
        locksDir,
        stage: work.stage,
        staleMs: config.pass.lock_stale_s * 1000,
        updateMs: config.pass.lock_update_s * 1000,
        command: options.command,
        onTakeover: (previous, ageMs) =>
          log.warn(`took over a stale lock (no update for ${(ageMs / 1000).toFixed(0)} s)`, {
            previous_host: previous?.host,
            previous_pid: previous?.pid,
            previous_since: previous?.since,
          }),
        onCompromised: (error) => {
          log.error(`lost the stage lock (${error.message}); stopping at once`);
          stop.abort(error);
        },
      });
  const signals = options.handleSignals === false ? null : watchSignals({
    onFirst: (signal) => log.warn(`${signal} received: no new runs will start; finishing in-flight runs (send again to abort them)`),
    onSecond: (signal) => log.warn(`second ${signal}: aborting in-flight runs`),
  });
  const abortSignal = signals ? AbortSignal.any([signals.abortSignal, stop.signal]) : stop.signal;
  let passError: unknown;
  try {
    if (lock) Ledger.removeStaleTemps(stateDir, work.stage);
    const ledger = Ledger.load(stateDir, work.stage);
    summary.ledger = ledger.file;
    const sourceRuns = [...new Set(await work.listSourceRuns())].sort((a, b) => a - b);
    const destinationRuns = mode === 'full' && work.listDestinationRuns ? await work.listDestinationRuns() : undefined;
    const selection = selectCandidates({
      mode,
      ledger,
      sourceRuns,
      destinationRuns,
      only: options.only ? new Set(options.only) : undefined,
      now: now(),
      batchSize: config.pass.batch_size,
    });
    summary.candidates = selection.candidates.length;
    summary.skipped.push(...selection.waiting);
    log.info(`${sourceRuns.length} runs in the source, ${selection.candidates.length} to process`, {
      mode,
      last_contiguous_run: ledger.lastContiguousRun,
    });

    if (options.dryRun) {
      summary.planned = selection.candidates.map((c) => c.run);
    } else {
      const policy = new RetryPolicy(config.retry, options.random);
      const limit = pLimit(options.concurrency ?? config.pass.concurrency);
      const stopping = (): boolean => signals?.received != null || stop.signal.aborted || passError !== undefined;
      await Promise.all(
        selection.candidates.map((candidate) =>
          limit(async () => {
            if (stopping()) return;
            const run = candidate.run;
            const runLog = log.child({ run: formatRunId(run) });
            const runStart = performance.now();
            const seconds = (): number => Math.round(performance.now() - runStart) / 1000;
            try {
              const outcome = (await work.processRun(run, { signal: abortSignal, logger: runLog, attempt: candidate.nFailuresBefore + 1 })) ?? { status: 'done' };
              if (outcome.status === 'skipped') {
                summary.skipped.push({ run, reason: outcome.reason });
                runLog.info(`skipped: ${outcome.reason}`);
                return;
              }
              ledger.markDone(run, sourceRuns, now());
              ledger.save();
              summary.done.push({ run, duration_s: seconds(), ...(outcome.detail ? { detail: outcome.detail } : {}) });
              runLog.info(`done in ${seconds().toFixed(1)} s${outcome.detail ? `: ${outcome.detail}` : ''}`);
            } catch (error) {
              if (abortSignal.aborted) {
                summary.aborted.push(run);
                runLog.warn(`aborted: ${errorMessage(error)}`);
                return;
              }
              if (stopsThePass(error)) {
                passError ??= error;
                runLog.error(`pass stops: ${errorMessage(error)}`);
                return;
              }
              const decision = policy.afterFailure(candidate.nFailuresBefore, now());
              const reason = errorMessage(error);
              ledger.markFailed(run, reason, decision, now());
              ledger.save();
              summary.failed.push({
                run,
                duration_s: seconds(),
                reason,
                n_failures: decision.nFailures,
                next_retry: decision.nextRetry?.toISOString() ?? null,
                gave_up: decision.gaveUp,
              });
              runLog.error(
                `failed (${decision.nFailures} failures): ${reason}; ${decision.gaveUp ? 'giving up — left for a person' : `next retry ${decision.nextRetry!.toISOString()}`}`,
              );
            }
          }),
        ),
      );
    }
    // Outcomes were saved as they happened; this save also leaves a ledger after a pass that finished nothing.
    if (!options.dryRun) ledger.save();
    summary.last_contiguous_run = ledger.lastContiguousRun;
  } finally {
    signals?.dispose();
    await lock?.release();
  }
  summary.interrupted = signals?.received ?? null;
  const ended = now();
  summary.ended_at = ended.toISOString();
  summary.duration_s = Math.round(performance.now() - t0) / 1000;
  summary.done.sort((a, b) => a.run - b.run);
  summary.failed.sort((a, b) => a.run - b.run);
  summary.skipped.sort((a, b) => a.run - b.run);
  summary.aborted.sort((a, b) => a - b);
  log.info(describeSummary(summary));
  for (const hook of options.hooks ?? []) {
    try {
      await hook(summary);
    } catch (error) {
      log.error(`summary hook failed (the ledger is already saved): ${errorMessage(error)}`);
    }
  }
  if (passError !== undefined) throw passError;
  return summary;
}
