// What a finished (or failed) pass has to tell people: each event names the conditions it stands for, for the cooldown.
import type { PassSummary } from '../pass/index.js';
import { formatRunId } from '../util/validate.js';
import type { DiskUsage } from './disk.js';

export type EventKind = 'stage_error' | 'gave_up' | 'runs_failed' | 'dead_hosts' | 'disk_full';

export interface NotifyEvent {
  kind: EventKind;
  /** One line for the message; `{n}` stands for the number of items sent. */
  title: string;
  /** Runs (or hosts, folders) the event is about, in order; the message lists the first few. */
  items: string[];
  /** One cooldown key per item (or one for an event without items): only items whose key is not cooling down are sent. */
  keys: string[];
}

/** What a pass gives the notifier: its summary, or the error that stopped it, plus checks made afterwards. */
export interface PassReport {
  stage: string;
  host: string;
  summary: PassSummary | null;
  error: { message: string; exitCode: number } | null;
  disks: DiskUsage[];
  maxUsedFraction: number;
}

/** Dead hosts and gave-up runs that only auto-process reports, read without tying notify to that stage. */
function autoProcessExtras(summary: PassSummary | null): { deadHosts: string[]; gaveUp: number[] } {
  const extra = (summary as { auto_process?: { dead_hosts?: unknown; gave_up?: unknown } } | null)?.auto_process;
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  return { deadHosts: list(extra?.dead_hosts).map(String), gaveUp: list(extra?.gave_up).map(Number).filter(Number.isFinite) };
}

/** Every event of a pass, most serious first. A dry run reports nothing (it changed nothing and failed nothing for real). */
export function collectEvents(report: PassReport): NotifyEvent[] {
  const { stage, summary, error } = report;
  const events: NotifyEvent[] = [];
  if (error) {
    events.push({ kind: 'stage_error', title: `${stage} could not run (exit ${error.exitCode}): ${error.message}`, items: [], keys: [`stage_error:${stage}:${error.exitCode}`] });
  }
  if (summary && !summary.dry_run) {
    const extras = autoProcessExtras(summary);
    const gaveUp = [...new Set([...summary.failed.filter((f) => f.gave_up).map((f) => f.run), ...extras.gaveUp])].sort((a, b) => a - b);
    if (gaveUp.length) {
      events.push({ kind: 'gave_up', title: '{n} runs reached the failure maximum (left for a person)', items: gaveUp.map(formatRunId), keys: gaveUp.map((r) => `gave_up:${stage}:${r}`) });
    }
    const failed = summary.failed.filter((f) => !gaveUp.includes(f.run));
    if (failed.length) {
      events.push({
        kind: 'runs_failed', title: '{n} runs failed',
        items: failed.map((f) => `${formatRunId(f.run)}: ${f.reason}${f.n_failures ? ` (failure ${f.n_failures})` : ''}`), keys: failed.map((f) => `failed:${stage}:${f.run}`),
      });
    }
    if (extras.deadHosts.length) {
      events.push({ kind: 'dead_hosts', title: '{n} hosts stopped sending heartbeats', items: extras.deadHosts, keys: extras.deadHosts.map((h) => `dead_host:${h}`) });
    }
  }
  const full = report.disks.filter((d) => d.usedFraction > report.maxUsedFraction);
  if (full.length) {
    events.push({
      kind: 'disk_full', title: `{n} data folders are over ${Math.round(report.maxUsedFraction * 100)} % full`,
      items: full.map((d) => `${d.dir}: ${(d.usedFraction * 100).toFixed(1)} % used, ${(d.freeBytes / 1e9).toFixed(1)} GB free`), keys: full.map((d) => `disk:${report.host}:${d.dir}`),
    });
  }
  return events;
}

/** The title with its count filled in. */
export const titleOf = (e: NotifyEvent): string => e.title.replace('{n}', String(e.items.length));
