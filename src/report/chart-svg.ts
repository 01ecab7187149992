// The availability chart as inline SVG: one row per series (sources, then stages done), one cell per bin, shaded by coverage.
import { escapeHtml } from './escape.js';
import type { Report } from './schema.js';

const ROW_H = 18;
const LABEL_W = 110;
const WIDTH = 900;

type Bin = Report['chart']['by_run'][number] | Report['chart']['by_time'][number];

export function availabilitySvg(id: string, title: string, series: readonly string[], bins: readonly Bin[], label: (edge: Bin['from']) => string): string {
  if (bins.length === 0) return `<p id="${id}" class="chart-empty">No runs to chart ${escapeHtml(title)}.</p>`;
  const cellW = (WIDTH - LABEL_W) / bins.length;
  const height = series.length * ROW_H + 34;
  const parts: string[] = [
    `<svg id="${id}" class="chart" role="img" aria-label="${escapeHtml(title)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">`,
    `<title>${escapeHtml(title)}</title>`,
  ];
  series.forEach((name, row) => {
    const y = row * ROW_H;
    parts.push(`<text x="${LABEL_W - 6}" y="${y + ROW_H - 5}" text-anchor="end" class="label">${escapeHtml(name)}</text>`);
    bins.forEach((bin, col) => {
      const fraction = bin.total ? bin.present[row]! / bin.total : 0;
      const x = LABEL_W + col * cellW;
      const shade = bin.total === 0 ? 'empty' : fraction === 1 ? 'full' : fraction === 0 ? 'none' : 'part';
      parts.push(
        `<rect class="cell ${shade}" x="${x.toFixed(2)}" y="${y + 1}" width="${Math.max(cellW - 0.5, 0.5).toFixed(2)}" height="${ROW_H - 2}" fill-opacity="${bin.total ? (0.15 + 0.85 * fraction).toFixed(3) : 0.05}">` +
          `<title>${escapeHtml(`${name}: ${bin.present[row]} of ${bin.total} runs, ${label(bin.from)} – ${label(bin.to)}`)}</title></rect>`,
      );
    });
  });
  const axisY = series.length * ROW_H + 14;
  parts.push(`<text x="${LABEL_W}" y="${axisY}" class="axis">${escapeHtml(label(bins[0]!.from))}</text>`);
  parts.push(`<text x="${WIDTH}" y="${axisY}" text-anchor="end" class="axis">${escapeHtml(label(bins[bins.length - 1]!.to))}</text>`);
  parts.push(`<text x="${(LABEL_W + WIDTH) / 2}" y="${axisY + 16}" text-anchor="middle" class="axis">${escapeHtml(title)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
