// submit --wait: poll the scheduler until every job ends and record the outcome each job could not record itself.
import { isSuccess, isTerminal, waitForJobs, type JobRef, type JobStatus, type Scheduler } from '../../batch/index.js';
import { RetryPolicy } from '../../pass/retry.js';
import { stageOf, type RunStore } from '../../rundb/index.js';
import type { SubmitOptions, SubmitSummary } from '../submit.js';
import { STAGE } from './plan.js';

/** --wait: poll until every job ends, then record what the scheduler (or the job's status file) says. */
export async function waitAndRecord(options: SubmitOptions, scheduler: Scheduler, store: RunStore, refs: JobRef[], summary: SubmitSummary, now: () => Date): Promise<void> {
  const statuses = await waitForJobs(scheduler, refs, {
    timeoutMs: options.waitTimeoutMs,
    maxDelayMs: options.config.scheduler.poll_interval_s * 1000,
  });
  const policy = new RetryPolicy(options.config.retry);
  for (const entry of summary.submitted) {
    const key = entry.array_task === null ? entry.job_id : `${entry.job_id}_${entry.array_task}`;
    const status: JobStatus = statuses.get(key) ?? { state: 'unknown', source: 'artifact', reason: 'no status' };
    entry.state = status.state;
    entry.exit_code = status.exitCode ?? null;
    if (!isTerminal(status.state)) continue;
    const doc = await store.getRun(entry.run);
    const stage = doc ? stageOf(doc, store.stateField, STAGE) : undefined;
    summary.pending = summary.pending.filter((p) => p.run !== entry.run);
    if (isSuccess(status.state)) {
      summary.done.push({ run: entry.run, duration_s: 0, detail: `job ${key} ${status.state}` });
      if (stage?.state !== 'done') await store.updateStage(entry.run, STAGE, { set: { state: 'done', reason: null }, expect: ['submitted', 'running'] });
      continue;
    }
    const reason = `job ${key} ${status.state}${status.exitCode !== undefined ? ` (exit ${status.exitCode})` : ''}${status.logTail ? `: ${status.logTail.split('\n').slice(-3).join(' | ')}` : ''}`;
    if (stage?.state === 'failed') {
      summary.failed.push({ run: entry.run, duration_s: 0, reason });
      continue;
    }
    const decision = policy.afterFailure(stage?.n_failures ?? 0, now());
    summary.failed.push({
      run: entry.run, duration_s: 0, reason, n_failures: decision.nFailures,
      next_retry: decision.nextRetry?.toISOString() ?? null, gave_up: decision.gaveUp,
    });
    await store.updateStage(entry.run, STAGE, {
      set: { state: 'failed', reason, next_retry: decision.nextRetry, n_failures: decision.nFailures },
      expect: ['submitted', 'running'],
    });
  }
}
