// The report as text for a terminal or a cron mail: sources, stages, operations, then the numbered recommendations.
import { formatRunId } from '../util/validate.js';
import { formatAbbreviated } from './ranges.js';
import type { Report, StageReport } from './schema.js';
import { sourceLabel } from './sources.js';

const run = (r: number | null): string => (r === null ? 'none' : formatRunId(r));

/** `last pass ended 2026-… after 12.3 s, exit 1 (runs_failed)`: for the text and HTML reports. */
export function describeLastPass(p: NonNullable<StageReport['last_pass']>): string {
  return `last pass ended ${p.ended_at} after ${p.duration_s.toFixed(1)} s, exit ${p.exit_code} (${p.outcome})`;
}

function stageLines(s: StageReport): string[] {
  if (!s.configured) return [`  ${s.stage}: not configured`];
  const l = s.ledger;
  const ledger = l.error ? `ledger CORRUPT (${l.error})` : l.present ? `ledger mark ${run(l.last_contiguous_run)}, ${l.done_above.count ? `done above: ${formatAbbreviated(l.done_above)}` : 'nothing done above it'}` : 'no ledger yet';
  const lines = [`  ${s.stage}: ${s.source} → ${s.destination}: ${s.done_runs}/${s.source_runs} done (sources' mark ${run(s.sources_contiguous_run)}); ${ledger}`];
  if (s.last_pass) lines.push(`    ${describeLastPass(s.last_pass)}`);
  if (s.error) lines.push(`    cannot check: ${s.error}`);
  if (s.pending_count) lines.push(`    pending ${s.pending_count}: ${formatAbbreviated(s.pending)}`);
  if (s.failed.count) {
    lines.push(`    failed ${s.failed.count}:`);
    for (const f of [...s.failed.first, ...s.failed.last]) lines.push(`      ${formatRunId(f.run)} ×${f.n_failures} next retry ${f.next_retry ?? 'never (gave up)'}: ${f.reason}`);
    if (s.failed.omitted) lines.push(`      … ${s.failed.omitted} more`);
  }
  if (s.drift) {
    if (s.drift.length === 0) lines.push('    compare-state: ledger matches the sources');
    for (const d of s.drift) lines.push(`    DRIFT ${d.kind}: ${d.detail}`);
  }
  return lines;
}

export function formatReportText(report: Report): string {
  const out = [`daqflow status on ${report.host} at ${report.generated_at}`, '', 'Sources:'];
  for (const s of Object.values(report.sources)) {
    if (!s.configured) out.push(`  ${sourceLabel[s.name]}: not configured`);
    else if (s.error) out.push(`  ${sourceLabel[s.name]}: COULD NOT BE QUERIED: ${s.error}`);
    else if (s.count === 0) out.push(`  ${sourceLabel[s.name]}: no runs${s.note ? ` (${s.note})` : ''}`);
    else out.push(`  ${sourceLabel[s.name]}: ${s.count} runs ${run(s.min)}–${run(s.max)}; ranges ${formatAbbreviated(s.ranges)}; gaps ${s.gaps.count ? formatAbbreviated(s.gaps) : 'none'}`);
  }
  out.push('', 'Stages:');
  for (const s of Object.values(report.stages)) out.push(...stageLines(s));
  const states = Object.entries(report.processing_states).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  out.push('', `Processing states: ${states || 'no runs'}`);
  const jobs = report.jobs_in_flight;
  out.push(`Jobs in flight: ${jobs.count}${jobs.oldest_age_s !== null ? ` (oldest ${(jobs.oldest_age_s / 3600).toFixed(1)} h: run ${run(jobs.jobs[0]!.run)} job ${jobs.jobs[0]!.job_id ?? '?'})` : ''}`);
  out.push(`Hosts: ${report.hosts.length ? report.hosts.map((h) => `${h.host}/${h.command} ${h.dead ? 'DEAD' : 'alive'} (last seen ${h.age_s} s ago)`).join('; ') : 'no heartbeats'}`);
  out.push(`Disk: ${report.disk.map((d) => `${d.path} ${(d.used_fraction * 100).toFixed(1)} % used (${d.roles.join(', ')})`).join('; ') || 'no folders found'}`);
  out.push('', 'Recommendations:');
  for (const r of report.recommendations) out.push(`  ${r.n}. ${r.text}${r.command && !r.text.includes(r.command) ? `: ${r.command}` : ''}`);
  return out.join('\n') + '\n';
}
