// The availability chart's data: per bin of run numbers (and of run start times), how many runs each series has.
import type { Report } from './schema.js';

export const MAX_BINS = 100;

export interface Series {
  name: string;
  runs: Iterable<number>;
}

interface Counts {
  total: number[];
  present: number[][];
}

/**
 * Counts per bin: `total` over the union of every series' runs, `present[i]` over series i. `key` maps a run to its
 * bin (or -1 to leave it out); each run is looked at once per series, so 100 000 runs stay cheap.
 */
function count(series: readonly Series[], n: number, key: (run: number) => number, runs: [number, number]): Counts {
  const counts: Counts = { total: new Array<number>(n).fill(0), present: Array.from({ length: n }, () => new Array<number>(series.length).fill(0)) };
  const firstSeen = seenOnce(runs);
  series.forEach((s, i) => {
    for (const run of s.runs) {
      const b = key(run);
      if (b < 0) continue;
      counts.present[b]![i]! += 1;
      if (firstSeen(run)) counts.total[b]! += 1;
    }
  });
  return counts;
}

/** True the first time a run is passed: a bitmap over the run-number span (a set when the span is huge). */
function seenOnce([lo, hi]: [number, number]): (run: number) => boolean {
  if (hi - lo < 50_000_000) {
    const bits = new Uint8Array(hi - lo + 1);
    return (run) => (bits[run - lo] ? false : (bits[run - lo] = 1) === 1);
  }
  const seen = new Set<number>();
  return (run) => (seen.has(run) ? false : (seen.add(run), true));
}

function runExtent(series: readonly Series[]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    const e = extent(s.runs);
    if (e) [lo, hi] = [Math.min(lo, e[0]), Math.max(hi, e[1])];
  }
  return lo <= hi ? [lo, hi] : null;
}

function extent(values: Iterable<number>): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

const binIndex = (lo: number, hi: number, n: number, v: number): number => (hi === lo ? 0 : Math.min(n - 1, Math.floor(((v - lo) / (hi - lo + 1)) * n)));

/** Bins over the union of every series' runs: at most MAX_BINS equal spans of run numbers. */
export function binsByRun(series: readonly Series[]): Report['chart']['by_run'] {
  const span = runExtent(series);
  if (!span) return [];
  const [lo, hi] = span;
  const n = Math.min(MAX_BINS, hi - lo + 1);
  const c = count(series, n, (run) => binIndex(lo, hi, n, run), span);
  const width = (hi - lo + 1) / n;
  return c.total.map((total, i) => ({ from: lo + Math.ceil(i * width), to: Math.min(hi, lo + Math.ceil((i + 1) * width) - 1), total, present: c.present[i]! }));
}

/** Bins over run start times (epoch ms by run; runs without a start time are left out). */
export function binsByTime(series: readonly Series[], starts: ReadonlyMap<number, number>): Report['chart']['by_time'] {
  const ext = extent(starts.values());
  if (!ext) return [];
  const [lo, hi] = ext;
  const n = hi === lo ? 1 : MAX_BINS;
  const c = count(series, n, (run) => {
    const t = starts.get(run);
    return t === undefined ? -1 : binIndex(lo, hi, n, t);
  }, runExtent(series) ?? [0, 0]);
  const width = (hi - lo + 1) / n;
  return c.total.map((total, i) => ({
    from: new Date(lo + i * width).toISOString(),
    to: new Date(Math.min(hi, lo + (i + 1) * width - 1)).toISOString(),
    total,
    present: c.present[i]!,
  }));
}
