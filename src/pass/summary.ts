// The summary a pass returns: what was done, failed and skipped, for the log, --json, notifications and metrics.

export interface RunDone {
  run: number;
  duration_s: number;
  detail?: string;
}
export interface RunFailed {
  run: number;
  duration_s: number;
  reason: string;
  n_failures: number;
  next_retry: string | null;
  gave_up: boolean;
}
export interface RunSkipped {
  run: number;
  reason: string;
}

export interface PassSummary {
  stage: string;
  mode: string;
  host: string;
  dry_run: boolean;
  started_at: string;
  ended_at: string;
  duration_s: number;
  candidates: number;
  done: RunDone[];
  failed: RunFailed[];
  skipped: RunSkipped[];
  /** Runs a dry run would have processed. */
  planned: number[];
  /** Runs that were started but aborted by a second signal; the next pass redoes them. */
  aborted: number[];
  interrupted: NodeJS.Signals | null;
  last_contiguous_run: number | null;
  ledger: string | null;
}

/** A hook that sees every finished pass (notifications, metrics). Hooks run after the ledger is saved. */
export type SummaryHook = (summary: PassSummary) => Promise<void> | void;

export function describeSummary(s: PassSummary): string {
  const parts = [`${s.done.length} done`, `${s.failed.length} failed`, `${s.skipped.length} skipped`];
  if (s.dry_run) parts.push(`${s.planned.length} planned (dry run)`);
  if (s.aborted.length) parts.push(`${s.aborted.length} aborted`);
  const failed = s.failed.length ? `; failed runs: ${s.failed.map((f) => f.run).join(', ')}` : '';
  const interrupted = s.interrupted ? `; interrupted by ${s.interrupted}` : '';
  return `${s.stage} pass (${s.mode}): ${parts.join(', ')} in ${s.duration_s.toFixed(1)} s${failed}${interrupted}; last contiguous run ${s.last_contiguous_run ?? 'none'}`;
}
