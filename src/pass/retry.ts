// The one retry policy every stage shares (bootstrax's): 60 s × U(0.5,1.5) × 5^min(n_failures_before, 3), give up after 10.
import type { RetryConfig } from '../config/schema.js';

export interface RetryDecision {
  nFailures: number;
  /** When the run may be tried again; null once the policy gives up (left for a person). */
  nextRetry: Date | null;
  gaveUp: boolean;
}

export class RetryPolicy {
  constructor(
    private readonly settings: RetryConfig,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before the next attempt, given how many failures happened before this one. */
  delayMs(nFailuresBefore: number): number {
    const { base_delay_s, jitter_min, jitter_max, factor, max_exponent } = this.settings;
    const jitter = jitter_min + (jitter_max - jitter_min) * this.random();
    return base_delay_s * 1000 * jitter * factor ** Math.min(nFailuresBefore, max_exponent);
  }

  /** Record one more failure of a run that had failed `nFailuresBefore` times. */
  afterFailure(nFailuresBefore: number, now: Date): RetryDecision {
    const nFailures = nFailuresBefore + 1;
    if (nFailures >= this.settings.max_failures) return { nFailures, nextRetry: null, gaveUp: true };
    return { nFailures, nextRetry: new Date(now.getTime() + this.delayMs(nFailuresBefore)), gaveUp: false };
  }
}
