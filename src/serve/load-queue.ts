// Bounded concurrency for data loads (p-limit): a burst waits in a bounded queue instead of exhausting memory.
import pLimit from 'p-limit';
import { RequestError } from './request-error.js';
import type { ServeMetrics } from './metrics.js';

export interface LoadQueue {
  run<T>(work: () => Promise<T>): Promise<T>;
}

export function createLoadQueue(concurrency: number, maxQueued: number, metrics: ServeMetrics['loads']): LoadQueue {
  const limit = pLimit(concurrency);
  let running = 0;
  let peak = 0;
  return {
    run(work) {
      if (limit.activeCount >= concurrency && limit.pendingCount >= maxQueued) {
        metrics.refused.inc();
        return Promise.reject(new RequestError(503, `busy: ${limit.activeCount} loads running and ${limit.pendingCount} waiting; try again shortly`));
      }
      const queued = limit(async () => {
        running++;
        peak = Math.max(peak, running);
        metrics.peak.set(peak);
        metrics.inFlight.set(running);
        metrics.queued.set(limit.pendingCount);
        try {
          return await work();
        } finally {
          running--;
          metrics.inFlight.set(running);
          metrics.queued.set(limit.pendingCount);
        }
      });
      metrics.queued.set(limit.pendingCount);
      return queued;
    },
  };
}
