// The numbers every pass reports to Carbon and Prometheus, from its summary alone.
import type { PassSummary } from '../pass/index.js';

export interface PassFigures {
  runs_done: number;
  runs_failed: number;
  runs_pending: number;
  runs_skipped: number;
  /** -1 when the stage has no contiguous run yet (both protocols want a number). */
  last_contiguous_run: number;
  duration_seconds: number;
  /** Runs done per minute of the pass; 0 for an empty pass. */
  throughput_runs_per_minute: number;
}

export function passFigures(s: PassSummary): PassFigures {
  return {
    runs_done: s.done.length,
    runs_failed: s.failed.length,
    runs_pending: s.pending.length,
    runs_skipped: s.skipped.length,
    last_contiguous_run: s.last_contiguous_run ?? -1,
    duration_seconds: s.duration_s,
    throughput_runs_per_minute: s.duration_s > 0 ? Number(((s.done.length * 60) / s.duration_s).toFixed(3)) : 0,
  };
}

/** A stage name as one metric-path component (import, auto-process → auto_process). */
export const metricStage = (stage: string): string => stage.replace(/[^A-Za-z0-9_]/g, '_');
