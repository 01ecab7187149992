// The one summary every command that works on runs returns: for the log, --json, notifications, metrics and the exit code.
import os from 'node:os';

export interface RunDone {
  run: number;
  duration_s: number;
  detail?: string;
}
export interface RunFailed {
  run: number;
  duration_s: number;
  reason: string;
  /** Set when the retry policy counted the failure (ledger and runs DB). */
  n_failures?: number;
  next_retry?: string | null;
  gave_up?: boolean;
}
export interface RunSkipped {
  run: number;
  reason: string;
}
/** Handed off (e.g. a job was submitted): neither done nor failed yet. */
export interface RunPending {
  run: number;
  duration_s: number;
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
  pending: RunPending[];
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

/** A fresh summary; commands that do not run through runPass (submit) start from it too. */
export function emptySummary(stage: string, options: { mode: string; host?: string | null; dryRun?: boolean; started?: Date }): PassSummary {
  const started = (options.started ?? new Date()).toISOString();
  return {
    stage, mode: options.mode, host: options.host ?? os.hostname(), dry_run: options.dryRun ?? false,
    started_at: started, ended_at: started, duration_s: 0, candidates: 0,
    done: [], failed: [], skipped: [], pending: [], planned: [], aborted: [], interrupted: null, last_contiguous_run: null, ledger: null,
  };
}

/** Stamp the end time and sort every run list by run number. */
export function closeSummary(summary: PassSummary, ended: Date, durationS: number): void {
  summary.ended_at = ended.toISOString();
  summary.duration_s = durationS;
  for (const list of [summary.done, summary.failed, summary.skipped, summary.pending]) list.sort((a, b) => a.run - b.run);
  summary.aborted.sort((a, b) => a - b);
  summary.planned.sort((a, b) => a - b);
}

export function describeSummary(s: PassSummary): string {
  const parts = [`${s.done.length} done`, `${s.failed.length} failed`, `${s.skipped.length} skipped`];
  if (s.pending.length) parts.push(`${s.pending.length} pending`);
  if (s.dry_run) parts.push(`${s.planned.length} planned (dry run)`);
  if (s.aborted.length) parts.push(`${s.aborted.length} aborted`);
  const failed = s.failed.length ? `; failed runs: ${s.failed.map((f) => f.run).join(', ')}` : '';
  const interrupted = s.interrupted ? `; interrupted by ${s.interrupted}` : '';
  return `${s.stage} pass (${s.mode}): ${parts.join(', ')} in ${s.duration_s.toFixed(1)} s${failed}${interrupted}; last contiguous run ${s.last_contiguous_run ?? 'none'}`;
}
