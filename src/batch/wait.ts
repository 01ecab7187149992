// Polls a scheduler with exponential backoff until every job is terminal (or a deadline passes).
import type { Scheduler } from './scheduler.js';
import { expandRefs, isTerminal, refKey, type JobRef, type JobStatus } from './types.js';

export interface WaitOptions {
  /** Give up after this long and return what is known (default: no limit). */
  timeoutMs?: number;
  /** First delay between polls (default 250 ms); doubles up to `maxDelayMs` (default 30 s, `scheduler.poll_interval_s`). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Stop when this returns true for every job (default: terminal state). */
  until?: (status: JobStatus) => boolean;
  onPoll?: (statuses: Map<string, JobStatus>) => void;
  signal?: AbortSignal;
}

/** The delay before poll number `attempt` (0-based): initial × 2^attempt, capped. */
export function backoffDelay(attempt: number, initialDelayMs = 250, maxDelayMs = 30_000): number {
  return Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 30));
}

export async function waitForJobs(scheduler: Scheduler, refs: JobRef[], options: WaitOptions = {}): Promise<Map<string, JobStatus>> {
  const until = options.until ?? ((s: JobStatus) => isTerminal(s.state));
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  const keys = expandRefs(refs).map(refKey);
  for (let attempt = 0; ; attempt++) {
    const statuses = await scheduler.status(refs);
    options.onPoll?.(statuses);
    if (keys.every((k) => statuses.has(k) && until(statuses.get(k)!))) return statuses;
    if (Date.now() >= deadline || options.signal?.aborted) return statuses;
    const delay = Math.min(backoffDelay(attempt, options.initialDelayMs, options.maxDelayMs), Math.max(0, deadline - Date.now()));
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
