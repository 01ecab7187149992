// `straxer --job-state`: a batch job records its own process state (running → done | failed) in the runs DB.
import os from 'node:os';
import type { Config } from '../../config/schema.js';
import { DaqflowError, EXIT, errorMessage } from '../../errors.js';
import type { Logger } from '../../log/index.js';
import { RetryPolicy } from '../../pass/retry.js';
import { stageOf, type ProcessState } from '../../rundb/index.js';
import { selfJobFromEnv } from './job-self.js';
import type { LazyStore } from './lazy-store.js';

const STAGE = 'process';
/** States a submitted job may move on from; anything else (abandoned, done by someone else) is left alone. */
const MINE: readonly ProcessState[] = ['claimed', 'submitted', 'running'];

export interface JobStateRecorder {
  /** Records `running`; throws NotOwnerError when the job's claim (--claim) no longer owns the run. */
  start(): Promise<void>;
  done(): Promise<void>;
  failed(error: unknown): Promise<void>;
}

/**
 * The runs DB is where the submitter and later passes look, but it is not needed to process data:
 * if it cannot be reached the job warns and carries on, and the scheduler's record decides later.
 */
export function jobStateRecorder(
  config: Config,
  run: number,
  logger: Logger,
  lazy: LazyStore,
  now: () => Date = () => new Date(),
  /** The claim that owns the run (`--claim`, set by submit): a newer claim's state is never overwritten. */
  claimId?: string,
): JobStateRecorder {
  const job = process.env.SLURM_JOB_ID ?? process.env.PBS_JOBID ?? process.env.DAQFLOW_JOB_ID ?? null;
  const update = async (what: string, set: Record<string, unknown>): Promise<'recorded' | 'refused' | 'unreachable'> => {
    try {
      const doc = await (await lazy.get()).updateStage(run, STAGE, { set, expect: MINE, ...(claimId ? { expectClaimId: claimId } : {}) });
      if (doc === null) {
        const owner = claimId ? ' under this job\'s claim (a newer submission owns it)' : '';
        logger.warn(`runs DB: run ${run} is not submitted/running there${owner}; its ${what} state was not recorded`);
        return 'refused';
      }
      return 'recorded';
    } catch (error) {
      logger.warn(`runs DB: could not record run ${run} as ${what} (${errorMessage(error)}); the scheduler's record will decide`);
      return 'unreachable';
    }
  };
  return {
    async start() {
      const self = selfJobFromEnv();
      const outcome = await update('running', {
        state: 'running', host: config.host ?? os.hostname(), pid: process.pid, started_at: now(), ...(job ? { scheduler_job_id: job } : {}), job_self: self,
      });
      // A job whose claim was released (its pass was killed before recording it) or replaced must not process the run:
      // another job may own it now.
      if (outcome === 'refused' && claimId) throw new NotOwnerError(run);
    },
    done: async () => void (await update('done', { state: 'done', reason: null, next_retry: null, finished_at: now() })),
    async failed(error) {
      let before = 0;
      try {
        const store = await lazy.get();
        const doc = await store.getRun(run);
        before = (doc && stageOf(doc, store.stateField, STAGE)?.n_failures) || 0;
      } catch {
        // update() below reports the DB problem.
      }
      const decision = new RetryPolicy(config.retry).afterFailure(before, now());
      await update('failed', {
        state: 'failed', reason: errorMessage(error), n_failures: decision.nFailures, next_retry: decision.nextRetry, finished_at: now(),
      });
    },
  };
}

/** The job's claim no longer owns the run: it stops before processing anything (exit 75, like a busy lock). */
export class NotOwnerError extends DaqflowError {
  constructor(run: number) {
    super(`run ${run}: this job's claim no longer owns the run (released or resubmitted); not processing it`, { exitCode: EXIT.lockBusy, context: { run: String(run) } });
  }
}
