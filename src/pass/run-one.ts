// Processing one candidate run inside a pass, and recording its outcome at once (ledger saved per run).
import type { Logger } from '../log/index.js';
import { ConfigError, DaqflowError, ServiceUnavailableError, errorMessage } from '../errors.js';
import { formatRunId } from '../util/validate.js';
import type { Ledger } from './ledger.js';
import type { RetryPolicy } from './retry.js';
import type { Candidate } from './selection.js';
import type { PassSummary } from './summary.js';

export interface RunContext {
  signal: AbortSignal;
  logger: Logger;
  /** 1 for a first attempt. */
  attempt: number;
}

/** What processing one run can return; throwing means the run failed. */
export type RunOutcome = { status: 'done'; detail?: string } | { status: 'skipped'; reason: string };

export type ProcessRun = (run: number, context: RunContext) => Promise<RunOutcome | void>;

export interface RunOneDeps {
  ledger: Ledger;
  sourceRuns: readonly number[];
  policy: RetryPolicy;
  summary: PassSummary;
  log: Logger;
  signal: AbortSignal;
  now: () => Date;
  /** Called with an error that says "the world is broken" (service down, bad config): the pass must stop. */
  stopPass: (error: DaqflowError) => void;
}

/** Errors that say the world is broken, not that this run is bad: they stop the pass instead of failing runs. */
function stopsThePass(error: unknown): error is DaqflowError {
  return error instanceof ServiceUnavailableError || error instanceof ConfigError;
}

export async function runOne(candidate: Candidate, processRun: ProcessRun, deps: RunOneDeps): Promise<void> {
  const { ledger, summary, now } = deps;
  const run = candidate.run;
  const runLog = deps.log.child({ run: formatRunId(run) });
  const started = performance.now();
  const seconds = (): number => Math.round(performance.now() - started) / 1000;
  try {
    const outcome = (await processRun(run, { signal: deps.signal, logger: runLog, attempt: candidate.nFailuresBefore + 1 })) ?? { status: 'done' };
    if (outcome.status === 'skipped') {
      summary.skipped.push({ run, reason: outcome.reason });
      runLog.info(`skipped: ${outcome.reason}`);
      return;
    }
    ledger.markDone(run, deps.sourceRuns, now());
    ledger.save();
    summary.done.push({ run, duration_s: seconds(), ...(outcome.detail ? { detail: outcome.detail } : {}) });
    runLog.info(`done in ${seconds().toFixed(1)} s${outcome.detail ? `: ${outcome.detail}` : ''}`);
  } catch (error) {
    if (deps.signal.aborted) {
      // Interrupted, not failed: the next pass redoes it.
      summary.aborted.push(run);
      runLog.warn(`aborted: ${errorMessage(error)}`);
    } else if (stopsThePass(error)) {
      deps.stopPass(error);
      runLog.error(`pass stops: ${errorMessage(error)}`);
    } else {
      recordFailure(candidate, errorMessage(error), seconds(), deps, runLog);
    }
  }
}

function recordFailure(candidate: Candidate, reason: string, durationS: number, deps: RunOneDeps, runLog: Logger): void {
  const decision = deps.policy.afterFailure(candidate.nFailuresBefore, deps.now());
  deps.ledger.markFailed(candidate.run, reason, decision, deps.now());
  deps.ledger.save();
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
