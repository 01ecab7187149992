// Processing one candidate run inside a pass, and recording its outcome at once (runs DB and ledger, per run).
import type { Logger } from '../log/index.js';
import { ConfigError, DaqflowError, LockBusyError, ServiceUnavailableError, errorMessage } from '../errors.js';
import type { RunStore, StageFields } from '../rundb/index.js';
import { formatRunId } from '../util/validate.js';
import { recordOutcome, type HandedOffState, type RecordDeps } from './record.js';
import type { RetryPolicy } from './retry.js';
import type { Candidate } from './selection.js';
import type { PassSummary } from './summary.js';

export interface RunContext {
  /** Aborted on a second SIGINT/SIGTERM or when the pass loses its lock: stop and throw. */
  signal: AbortSignal;
  logger: Logger;
  /** 1 for a first attempt. */
  attempt: number;
  /** Report what would change and change nothing (only stages with `previewsDryRun` see true). */
  dryRun: boolean;
  /** The runs DB the pass records stage states in; null when the pass was given none. */
  store: RunStore | null;
}

/** What processing one run can return; throwing means the run failed. */
export type RunOutcome =
  /** `fields`: more of the stage's own state fields, written with `state: done` in the same runs-DB update. */
  | { status: 'done'; detail?: string; fields?: StageFields }
  | { status: 'skipped'; reason: string }
  /** Handed off, result not known yet (e.g. a job was submitted); `state` defaults to submitted. */
  | { status: 'pending'; reason: string; state?: HandedOffState };

/** The function a stage implements; returning nothing means done. */
export type ProcessRun = (run: number, context: RunContext) => Promise<RunOutcome | void>;

export interface RunOneDeps {
  record: RecordDeps;
  policy: RetryPolicy;
  summary: PassSummary;
  signal: AbortSignal;
  dryRun: boolean;
  /** Per-run lock (LockScope 'run'): taken before the run starts, released after its outcome is recorded. */
  lockRun?: (run: number) => Promise<{ release(): Promise<void> }>;
  /** With per-run locks: why a run just locked is no longer wanted (another pass finished it meanwhile), else null. */
  settledMeanwhile?: (run: number) => string | null;
  /** Called with an error that says "the world is broken" (service down, bad config): the pass must stop. */
  stopPass: (error: DaqflowError) => void;
  /** Called after each run's outcome is in the summary (progress display). */
  onSettled?: (summary: PassSummary) => void;
}

/** Errors that say the world is broken, not that this run is bad: they stop the pass instead of failing runs. */
function stopsThePass(error: unknown): error is DaqflowError {
  return error instanceof ServiceUnavailableError || error instanceof ConfigError;
}

export async function runOne(candidate: Candidate, processRun: ProcessRun, deps: RunOneDeps): Promise<void> {
  const run = candidate.run;
  const runLog = deps.record.log.child({ run: formatRunId(run) });
  let lock: { release(): Promise<void> } | undefined;
  try {
    lock = await deps.lockRun?.(run);
  } catch (error) {
    if (!(error instanceof LockBusyError)) throw error;
    const holder = error.holder ? `host ${error.holder.host}, pid ${error.holder.pid}, since ${error.holder.since}` : 'holder unknown';
    const reason = `another pass is working on this run (${holder})`;
    deps.summary.skipped.push({ run, reason });
    runLog.info(`skipped: ${reason}`);
    deps.onSettled?.(deps.summary);
    return;
  }
  try {
    const settled = lock ? deps.settledMeanwhile?.(run) : null;
    if (settled) {
      deps.summary.skipped.push({ run, reason: settled });
      runLog.info(`skipped: ${settled}`);
      return;
    }
    await attempt(candidate, processRun, deps, runLog);
  } finally {
    await lock?.release();
    deps.onSettled?.(deps.summary);
  }
}

async function attempt(candidate: Candidate, processRun: ProcessRun, deps: RunOneDeps, runLog: Logger): Promise<void> {
  const { summary } = deps;
  const run = candidate.run;
  const started = performance.now();
  const seconds = (): number => Math.round(performance.now() - started) / 1000;
  let outcome: RunOutcome;
  try {
    const context: RunContext = { signal: deps.signal, logger: runLog, attempt: candidate.nFailuresBefore + 1, dryRun: deps.dryRun, store: deps.record.store };
    outcome = (await processRun(run, context)) ?? { status: 'done' };
  } catch (error) {
    if (deps.signal.aborted) {
      // Interrupted, not failed: the next pass redoes it.
      summary.aborted.push(run);
      runLog.warn(`aborted: ${errorMessage(error)}`);
    } else if (stopsThePass(error)) {
      deps.stopPass(error);
      runLog.error(`pass stops: ${errorMessage(error)}`);
    } else if (deps.dryRun) {
      summary.failed.push({ run, duration_s: seconds(), reason: errorMessage(error) });
      runLog.error(`would fail (dry run, nothing recorded): ${errorMessage(error)}`);
    } else {
      await recordFailure(candidate, errorMessage(error), seconds(), deps, runLog);
    }
    return;
  }
  await settle(run, outcome, seconds(), deps, runLog);
}

async function settle(run: number, outcome: RunOutcome, durationS: number, deps: RunOneDeps, runLog: Logger): Promise<void> {
  const { summary } = deps;
  if (outcome.status === 'skipped') {
    summary.skipped.push({ run, reason: outcome.reason });
    runLog.info(`skipped: ${outcome.reason}`);
    return;
  }
  if (deps.dryRun) {
    summary.planned.push(run);
    runLog.info(`would be ${outcome.status} (dry run, nothing recorded)${'detail' in outcome && outcome.detail ? `: ${outcome.detail}` : outcome.status === 'pending' ? `: ${outcome.reason}` : ''}`);
    return;
  }
  if (outcome.status === 'pending') {
    await recordOutcome(deps.record, run, { status: 'pending', reason: outcome.reason, state: outcome.state ?? 'submitted' });
    summary.pending.push({ run, duration_s: durationS, reason: outcome.reason });
    runLog.info(`pending: ${outcome.reason}`);
    return;
  }
  await recordOutcome(deps.record, run, { status: 'done', fields: outcome.fields });
  summary.done.push({ run, duration_s: durationS, ...(outcome.detail ? { detail: outcome.detail } : {}) });
  runLog.info(`done in ${durationS.toFixed(1)} s${outcome.detail ? `: ${outcome.detail}` : ''}`);
}

async function recordFailure(candidate: Candidate, reason: string, durationS: number, deps: RunOneDeps, runLog: Logger): Promise<void> {
  const decision = deps.policy.afterFailure(candidate.nFailuresBefore, deps.record.now());
  await recordOutcome(deps.record, candidate.run, { status: 'failed', reason, decision });
  deps.summary.failed.push({
    run: candidate.run,
    duration_s: durationS,
    reason,
    n_failures: decision.nFailures,
    next_retry: decision.nextRetry?.toISOString() ?? null,
    gave_up: decision.gaveUp,
  });
  const next = decision.gaveUp ? 'giving up — left for a person' : `next retry ${decision.nextRetry!.toISOString()}`;
  runLog.error(`failed (${decision.nFailures} failures): ${reason}; ${next}`);
}
