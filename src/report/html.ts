// renderReportHtml: the report as one self-contained page (inline CSS and SVG, no scripts, no external assets).
import { formatRunId } from '../util/validate.js';
import { availabilitySvg } from './chart-svg.js';
import { escapeHtml as h } from './escape.js';
import { formatAbbreviated } from './ranges.js';
import { describeLastPass } from './text.js';
import type { Report, SourceReport, StageReport } from './schema.js';
import { sourceLabel } from './sources.js';

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.bad{color:#b00020;font-weight:600}.ok{color:#1b6e20}.muted{color:#777}
ol.recs li.action{font-weight:600}ol.recs li.warning{color:#8a4b00}code{background:#f4f4f4;padding:0 3px}
svg.chart .cell{fill:#1565c0}svg.chart .cell.none{fill:#c62828}svg.chart .label,svg.chart .axis{font-size:11px;fill:#333}`;

const run = (r: number | null): string => (r === null ? '—' : formatRunId(r));
const td = (v: unknown, cls = ''): string => `<td${cls ? ` class="${cls}"` : ''}>${h(v)}</td>`;
const table = (head: string[], rows: string[]): string => `<table><tr>${head.map((c) => `<th>${h(c)}</th>`).join('')}</tr>${rows.join('')}</table>`;

function sourceRow(s: SourceReport): string {
  const status = !s.configured ? ['not configured', 'muted'] : s.error ? [`unreachable: ${s.error}`, 'bad'] : s.note ? [`ok, ${s.note}`, 'muted'] : ['ok', 'ok'];
  return `<tr>${td(sourceLabel[s.name])}${td(status[0], status[1])}${td(s.count)}${td(`${run(s.min)} – ${run(s.max)}`)}${td(formatAbbreviated(s.ranges))}${td(formatAbbreviated(s.gaps))}${td(s.locations.join(', '))}</tr>`;
}

function stageSection(s: StageReport): string {
  if (!s.configured) return `<h3>${h(s.stage)}</h3><p class="muted">not configured</p>`;
  const l = s.ledger;
  const ledger = l.error ? `<span class="bad">corrupt: ${h(l.error)}</span>` : l.present ? `last contiguous run ${h(run(l.last_contiguous_run))}, done above: ${h(formatAbbreviated(l.done_above))}, updated ${h(l.updated_at ?? '—')}` : '<span class="muted">no ledger yet</span>';
  const failures = [...s.failed.first, ...s.failed.last].map((f) => `<tr>${td(run(f.run))}${td(f.n_failures)}${td(f.reason)}${td(f.next_retry ?? 'gave up')}</tr>`);
  const states = Object.entries(s.runs_db_states).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(' · ') || 'none';
  const drift = s.drift === null ? '' : s.drift.length === 0 ? '<p class="ok">ledger matches the sources</p>' : `<ul class="drift">${s.drift.map((d) => `<li class="bad">${h(d.kind)}: ${h(d.detail)}</li>`).join('')}</ul>`;
  return [
    `<h3>${h(s.stage)}</h3>`,
    s.error ? `<p class="bad">${h(s.error)}</p>` : '',
    `<p>${h(s.source)} → ${h(s.destination)}: ${s.done_runs} of ${s.source_runs} runs done; the sources' contiguous run ${h(run(s.sources_contiguous_run))}</p>`,
    `<p>ledger <code>${h(l.file)}</code>: ${ledger}</p>`,
    s.last_pass ? `<p class="${s.last_pass.exit_code === 0 ? 'ok' : 'bad'}">${h(describeLastPass(s.last_pass))}</p>` : '',
    `<p>pending: ${s.pending_count} (${h(formatAbbreviated(s.pending))}) · runs DB states: ${h(states)}</p>`,
    failures.length ? table(['failed run', 'failures', 'reason', 'next retry'], failures) + (s.failed.omitted ? `<p class="muted">… ${s.failed.omitted} more failed runs</p>` : '') : '',
    drift,
  ].join('\n');
}

export function renderReportHtml(report: Report): string {
  const byRun = availabilitySvg('availability-by-run', 'run availability per source and stage, over run number', report.chart.series, report.chart.by_run, (r) => formatRunId(r as number));
  const byTime = availabilitySvg('availability-by-time', 'run availability per source and stage, over run start time', report.chart.series, report.chart.by_time, (t) => String(t).slice(0, 16).replace('T', ' '));
  const hosts = report.hosts.map((x) => `<tr>${td(x.host)}${td(x.command)}${td(x.state)}${td(x.last_seen)}${td(`${x.age_s} s`)}${td(x.dead ? 'DEAD' : 'alive', x.dead ? 'bad' : 'ok')}</tr>`);
  const jobs = report.jobs_in_flight.jobs.map((j) => `<tr>${td(run(j.run))}${td(j.state)}${td(j.job_id ?? '—')}${td(j.host ?? '—')}${td(j.since ?? '—')}${td(j.age_s === null ? '—' : `${(j.age_s / 3600).toFixed(1)} h`)}</tr>`);
  const disk = report.disk.map((d) => `<tr>${td(d.path)}${td(d.roles.join(', '))}${td(`${(d.used_fraction * 100).toFixed(1)} %`, d.used_fraction >= 0.9 ? 'bad' : '')}${td(`${(d.free_bytes / 1e9).toFixed(1)} GB`)}</tr>`);
  const states = Object.entries(report.processing_states).map(([k, n]) => `<tr>${td(k)}${td(n)}</tr>`);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>daqflow status — ${h(report.host)} — ${h(report.generated_at)}</title><style>${STYLE}</style></head>
<body>
<h1>daqflow status</h1>
<p>${h(report.host)} · ${h(report.generated_at)} · exit code ${report.exit_code}${report.errors.length ? ` · <span class="bad">${report.errors.length} source(s) could not be queried</span>` : ''}</p>
<h2>Recommendations</h2>
<ol class="recs">${report.recommendations.map((r) => `<li class="${r.severity}">${h(r.text)}${r.command ? ` — <code>${h(r.command)}</code>` : ''}</li>`).join('')}</ol>
<h2>Run availability</h2>
<p class="muted">Each cell is a bin of runs; darker = more of the bin's runs present; red = none.</p>
${byRun}
${byTime}
<h2>Sources</h2>
${table(['source', 'status', 'runs', 'min – max', 'ranges', 'gaps', 'where'], Object.values(report.sources).map(sourceRow))}
<h2>Stages</h2>
${Object.values(report.stages).map(stageSection).join('\n')}
<h2>Processing states</h2>
${table(['state', 'runs'], states)}
<h2>Jobs in flight (${report.jobs_in_flight.count})</h2>
${jobs.length ? table(['run', 'state', 'job', 'host', 'since', 'age'], jobs) : '<p class="muted">none</p>'}
<h2>Hosts</h2>
${hosts.length ? table(['host', 'command', 'state', 'last seen', 'age', 'status'], hosts) : '<p class="muted">no heartbeats</p>'}
<h2>Disk</h2>
${table(['path', 'holds', 'used', 'free'], disk)}
</body></html>
`;
}
