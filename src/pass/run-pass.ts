// The one incremental-pass harness: lock, ledger, candidate selection, bounded concurrency, signals, outcome records, summary.
import os from 'node:os';
import pLimit from 'p-limit';
import { workPaths } from '../config/resolve-paths.js';
import type { Config } from '../config/schema.js';
import { errorMessage, type DaqflowError } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { RunStore } from '../rundb/index.js';
import { lastPassOf, saveLastPass } from './last-pass.js';
import { sortNumbers } from './contiguity.js';
import { Ledger } from './ledger.js';
import { acquireStageLock, type StageLock } from './lock.js';
import { LedgerAccess, type LockScope } from './record.js';
import { RetryPolicy } from './retry.js';
import { runOne, type ProcessRun, type RunOneDeps } from './run-one.js';
import { selectCandidates, type PassMode } from './selection.js';
import { watchSignals, type SignalWatch } from './signals.js';
import { closeSummary, describeSummary, emptySummary, type PassSummary, type SummaryHook } from './summary.js';

export type { RunContext, RunOutcome } from './run-one.js';

/** What a stage gives the harness. */
export interface StageWork {
  stage: string;
  /** Default 'stage': one live pass per stage; 'run': one per run (straxer); 'none': read-only, records nothing. */
  lock?: LockScope;
  /** Numbers of the runs that exist in the stage's source (any order). */
  listSourceRuns(): Promise<number[]>;
  /** Runs already at the destination; full passes skip them. */
  listDestinationRuns?(): Promise<Set<number>>;
  processRun: ProcessRun;
  /** The stage honours `context.dryRun`: a dry run calls processRun to report what would change (else it only plans). */
  previewsDryRun?: boolean;
  /**
   * The stage decides itself which runs this pass works on (auto-process reads them from the runs DB): exactly the runs
   * listSourceRuns returns are processed, whatever the ledger's done marks and retry times say, and no ledger-failed
   * run outside that list; `pass.batch_size` does not cut the list (the stage sets its own limits). Outcomes are
   * recorded as usual.
   */
  selectsRuns?: boolean;
  /**
   * For a stage whose work list is not its source (auto-process): every run the ledger's mark counts and the ones the
   * source of truth already calls done. The ledger's done marks are taken from it before the pass, and the mark then
   * moves over these runs only, so it never passes a run this pass did not see (a failed run waiting for its retry,
   * a run not submitted yet). Without it the mark counts the runs listSourceRuns returns.
   */
  truth?: () => Promise<TruthRuns>;
}

/** A stage's rule applied to its sources: the runs its ledger's mark counts, and those already done. */
export interface TruthRuns {
  sourceRuns: number[];
  doneRuns: number[];
}

export interface PassOptions {
  config: Config;
  logger: Logger;
  mode: PassMode;
  dryRun?: boolean;
  /** Runs named on the command line: only these; those not in the source are reported skipped. */
  only?: readonly number[];
  concurrency?: number;
  command?: string;
  /** Where each run's `<state_field>.<stage>` is recorded with every outcome; none: the ledger only. */
  store?: RunStore | null;
  now?: () => Date;
  random?: () => number;
  hooks?: readonly SummaryHook[];
  /** Install SIGINT/SIGTERM handlers (default true; the CLI always does). */
  handleSignals?: boolean;
  /** Called after each run's outcome is in the summary, e.g. to draw progress on a terminal. */
  onSettled?: (summary: PassSummary) => void;
  /** Called once the candidates are known, before any run starts. */
  onSelected?: (candidates: number) => void;
}

/**
 * One pass of a stage:
 * 1. take the lock of the stage's scope (exit 75 at once if a live pass holds it; a dead holder's lock is taken over when stale);
 * 2. load the ledger (a corrupt one stops everything with exit 3) and select the candidate runs;
 * 3. process them with bounded concurrency, recording every outcome the moment it happens (runs DB, then ledger);
 * 4. on SIGINT/SIGTERM start nothing new and let in-flight runs finish (a second signal aborts them);
 * 5. save, release the lock, record the pass's times and outcome (`<stage>.last-pass.json`), report the summary to
 *    the log and the hooks.
 */
export async function runPass(work: StageWork, options: PassOptions): Promise<PassSummary> {
  const now = options.now ?? (() => new Date());
  const scope = work.lock ?? 'stage';
  const dryRun = options.dryRun ?? false;
  const log = options.logger.child({ stage: work.stage });
  const host = options.config.host ?? os.hostname();
  const summary = emptySummary(work.stage, { mode: options.mode, host, dryRun, started: now() });
  const t0 = performance.now();
  const stop = new AbortController();
  let passError: unknown;
  const lock = dryRun || scope !== 'stage' ? null : await takeLock(work.stage, options, log, stop);
  const recordsPasses = !dryRun && scope !== 'none';
  const signals = options.handleSignals === false ? null : watchPassSignals(log);
  const signal = signals ? AbortSignal.any([signals.abortSignal, stop.signal]) : stop.signal;
  try {
    const { stateDir } = workPaths(options.config);
    const ledger = LedgerAccess.open(dryRun ? 'none' : scope, stateDir, work.stage);
    summary.ledger = ledger.ledger.file;
    const sourceRuns = [...new Set(await work.listSourceRuns())].sort((a, b) => a - b);
    let markRuns = sourceRuns;
    if (work.truth) {
      const truth = await work.truth();
      markRuns = sortNumbers(new Set(truth.sourceRuns));
      ledger.ledger.takeDoneFrom(truth.doneRuns, markRuns);
    }
    const destinationRuns = options.mode === 'full' && work.listDestinationRuns ? await work.listDestinationRuns() : undefined;
    const selection = selectCandidates({
      mode: options.mode, ledger: ledger.ledger, sourceRuns, destinationRuns, now: now(), stage: work.stage,
      only: options.only ? new Set(options.only) : undefined, batchSize: options.config.pass.batch_size, stageSelected: work.selectsRuns,
    });
    summary.candidates = selection.candidates.length;
    summary.skipped.push(...selection.waiting);
    log.info(`${sourceRuns.length} runs in the source, ${selection.candidates.length} to process`, { mode: options.mode, last_contiguous_run: ledger.ledger.lastContiguousRun });

    if (dryRun && !work.previewsDryRun) {
      summary.planned = selection.candidates.map((c) => c.run);
    } else {
      const deps: RunOneDeps = {
        record: { stage: work.stage, host, store: dryRun ? null : (options.store ?? null), ledger, sourceRuns: markRuns, now, log },
        policy: new RetryPolicy(options.config.retry, options.random),
        summary, signal, dryRun,
        lockRun: scope === 'run' && !dryRun ? (run) => takeLock(`${work.stage}-${run}`, options, log, stop) : undefined,
        settledMeanwhile: (run) => settledMeanwhile(Ledger.load(stateDir, work.stage), run, summary.started_at),
        stopPass: (error: DaqflowError) => (passError ??= error),
        onSettled: options.onSettled,
      };
      options.onSelected?.(selection.candidates.length);
      const stopping = (): boolean => signals?.received != null || stop.signal.aborted || passError !== undefined;
      const limit = pLimit(options.concurrency ?? options.config.pass.concurrency);
      // A run whose outcome could not be recorded (runs DB or ledger unwritable) stops the pass like a service outage.
      const one = (c: (typeof selection.candidates)[number]) => runOne(c, work.processRun, deps).catch((error: unknown) => void (passError ??= error));
      await Promise.all(selection.candidates.map((c) => limit(() => (stopping() ? undefined : one(c)))));
      // Outcomes were saved as they happened; this save also leaves a ledger after a pass that finished nothing.
      if (!dryRun && scope === 'stage') ledger.ledger.save();
    }
    summary.last_contiguous_run = ledger.ledger.lastContiguousRun;
  } catch (error) {
    // A pass that could not go on (corrupt ledger, source unreadable): its record says so; the error goes up as before.
    summary.interrupted = signals?.received ?? null;
    closeSummary(summary, now(), Math.round(performance.now() - t0) / 1000);
    if (recordsPasses) recordLastPass(options, summary, log, error);
    throw error;
  } finally {
    signals?.dispose();
    await lock?.release();
  }
  summary.interrupted = signals?.received ?? null;
  closeSummary(summary, now(), Math.round(performance.now() - t0) / 1000);
  if (recordsPasses) recordLastPass(options, summary, log, passError);
  log.info(describeSummary(summary));
  await runHooks(options.hooks ?? [], summary, log);
  if (passError !== undefined) throw passError;
  return summary;
}

/** For /metrics and report-status only: a record that cannot be written is logged, never fails the pass. */
function recordLastPass(options: PassOptions, summary: PassSummary, log: Logger, error: unknown): void {
  try {
    saveLastPass(workPaths(options.config).stateDir, lastPassOf(summary, error));
  } catch (saveError) {
    log.warn(`could not record the pass's duration in the state folder: ${errorMessage(saveError)}`);
  }
}

function takeLock(name: string, options: PassOptions, log: Logger, stop: AbortController): Promise<StageLock> {
  const { pass } = options.config;
  return acquireStageLock({
    locksDir: workPaths(options.config).locksDir,
    stage: name,
    staleMs: pass.lock_stale_s * 1000,
    updateMs: pass.lock_update_s * 1000,
    command: options.command,
    onTakeover: (previous, ageMs) =>
      log.warn(`took over a stale lock ${name} (no update for ${(ageMs / 1000).toFixed(0)} s)`, {
        previous_host: previous?.host, previous_pid: previous?.pid, previous_since: previous?.since,
      }),
    onCompromised: (error) => {
      log.error(`lost the lock ${name} (${error.message}); stopping at once`);
      stop.abort(error);
    },
  });
}

/** A run another pass recorded since this pass started (per-run locks only: the selection may be stale). */
function settledMeanwhile(ledger: Ledger, run: number, passStarted: string): string | null {
  if (ledger.isDone(run)) return 'done by another pass meanwhile';
  const failure = ledger.failure(run);
  return failure && failure.last_attempt >= passStarted ? `failed in another pass meanwhile: ${failure.reason}` : null;
}

function watchPassSignals(log: Logger): SignalWatch {
  return watchSignals({
    onFirst: (signal) => log.warn(`${signal} received: no new runs will start; finishing in-flight runs (send again to abort them)`),
    onSecond: (signal) => log.warn(`second ${signal}: aborting in-flight runs`),
  });
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
