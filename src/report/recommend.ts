// Numbered recommendations: what an operator should do next, most urgent first, with the command to run.
import { formatRange, type Abbreviated, type RunRange } from './ranges.js';
import type { Recommendation, Report, StageReport } from './schema.js';
import { sourceLabel } from './sources.js';

type Draft = Omit<Recommendation, 'n'>;

const COMMAND_OF: Record<StageReport['stage'], string> = {
  import: 'daqflow import --incremental',
  migrate: 'daqflow migrate --incremental',
  process: 'daqflow auto-process',
  rechunk: 'daqflow rechunk --incremental',
};
const RETRY_OF: Record<StageReport['stage'], string> = {
  import: 'daqflow import --retry-failed-import',
  migrate: 'daqflow migrate --retry-failed-migrate',
  process: 'daqflow auto-process --retry-failed',
  rechunk: 'daqflow rechunk --retry-failed-rechunk',
};

/** "12 runs 012100–012111" when the runs are one range, else "12 runs (012100–012105, 012200, …)". */
export function describeRanges(list: Abbreviated<RunRange>, count: number): string {
  const noun = count === 1 ? 'run' : 'runs';
  if (list.count === 1) return `${count} ${noun} ${formatRange(list.first[0]!)}`;
  const shown = list.first.slice(0, 3).map(formatRange).join(', ');
  return `${count} ${noun} (${shown}${list.count > 3 ? ', …' : ''})`;
}

export interface CrossChecks {
  /** Runs in the archive that the runs DB does not have. */
  archiveNotInDb: number[];
}

export function recommend(report: Omit<Report, 'recommendations' | 'exit_code'>, cross: CrossChecks, thresholds: { diskWarn: number; jobAgeWarnS: number }): Recommendation[] {
  const out: Draft[] = [];
  for (const s of Object.values(report.sources)) {
    if (s.error) out.push({ severity: 'warning', text: `the ${sourceLabel[s.name]} could not be queried (${s.error}); the report is incomplete until it answers`, command: null });
  }
  if (report.sources.rundb.note) {
    out.push({ severity: 'action', text: `the runs DB has 0 runs: ${report.sources.rundb.note}; the first import pass creates it and registers the runs`, command: 'daqflow import' });
  }
  for (const st of Object.values(report.stages)) {
    if (st.drift?.length) out.push({ severity: 'action', text: `${st.stage}: the ledger disagrees with the sources (${st.drift.map((d) => d.kind).join(', ')}); preview the repair, then write it`, command: `daqflow recover-state ${st.stage} --dry-run` });
  }
  for (const h of report.hosts) {
    if (h.dead) out.push({ severity: 'warning', text: `host ${h.host} (${h.command}) is dead: silent since ${h.last_seen}; check it — another host's auto-process pass adopts its jobs`, command: null });
  }
  if (cross.archiveNotInDb.length) {
    const n = cross.archiveNotInDb.length;
    out.push({ severity: 'warning', text: `${n} ${n === 1 ? 'run' : 'runs'} in the archive ${n === 1 ? 'is' : 'are'} missing from the runs DB (first: ${cross.archiveNotInDb.slice(0, 5).join(', ')})`, command: null });
  }
  for (const st of Object.values(report.stages)) {
    if (!st.configured || st.error) continue;
    if (st.failed.count) {
      const first = st.failed.first[0]!;
      out.push({ severity: 'action', text: `${st.stage}: ${st.failed.count} failed ${st.failed.count === 1 ? 'run' : 'runs'} (e.g. ${first.run}: ${first.reason.slice(0, 120)}); they retry after next_retry, or now with the command`, command: RETRY_OF[st.stage] });
    }
    if (st.pending_count) out.push({ severity: 'action', text: `run \`${COMMAND_OF[st.stage]}\` for ${describeRanges(st.pending, st.pending_count)}`, command: COMMAND_OF[st.stage] });
  }
  const age = report.jobs_in_flight.oldest_age_s;
  if (age !== null && age > thresholds.jobAgeWarnS) {
    out.push({ severity: 'warning', text: `the oldest job in flight (run ${report.jobs_in_flight.jobs[0]!.run}) has been in flight for ${(age / 3600).toFixed(1)} h; check it with \`daqflow runs show\``, command: `daqflow runs show ${report.jobs_in_flight.jobs[0]!.run}` });
  }
  for (const d of report.disk) {
    if (d.used_fraction >= thresholds.diskWarn) out.push({ severity: 'warning', text: `${d.path} (${d.roles.join(', ')}) is ${(d.used_fraction * 100).toFixed(1)} % full`, command: null });
  }
  if (out.length === 0) out.push({ severity: 'info', text: 'everything is in sync', command: null });
  return out.map((d, i) => ({ n: i + 1, ...d }));
}
