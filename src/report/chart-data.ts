// The availability chart's data: per bin of run numbers (and of run start times), how many runs each series has.
import type { Report } from './schema.js';

export const MAX_BINS = 100;

export interface Series {
  name: string;
  runs: ReadonlySet<number> | readonly number[];
}

type Bins = Report['chart']['by_run'];

function binOf<T>(lo: number, hi: number, n: number, value: number): number {
  return hi === lo ? 0 : Math.min(n - 1, Math.floor(((value - lo) / (hi - lo + 1)) * n));
}

function fill(keys: Array<{ run: number; key: number }>, series: readonly Series[], lo: number, hi: number, n: number) {
  const sets = series.map((s) => (s.runs instanceof Set ? s.runs : new Set(s.runs as readonly number[])));
  const bins = Array.from({ length: n }, () => ({ total: 0, present: series.map(() => 0) }));
  for (const { run, key } of keys) {
    const b = bins[binOf(lo, hi, n, key)]!;
    b.total += 1;
    for (let i = 0; i < sets.length; i++) if (sets[i]!.has(run)) b.present[i]! += 1;
  }
  return bins;
}

/** Bins over the union of every series' runs: at most MAX_BINS equal spans of run numbers. */
export function binsByRun(series: readonly Series[]): Bins {
  const all = new Set<number>();
  for (const s of series) for (const run of s.runs) all.add(run);
  if (all.size === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const run of all) [lo, hi] = [Math.min(lo, run), Math.max(hi, run)];
  const n = Math.min(MAX_BINS, hi - lo + 1);
  const bins = fill([...all].map((run) => ({ run, key: run })), series, lo, hi, n);
  const width = (hi - lo + 1) / n;
  return bins.map((b, i) => ({ from: lo + Math.ceil(i * width), to: Math.min(hi, lo + Math.ceil((i + 1) * width) - 1), ...b }));
}

/** Bins over run start times (runs without a start time are left out). */
export function binsByTime(series: readonly Series[], starts: ReadonlyMap<number, number>): Report['chart']['by_time'] {
  const keys = [...starts].map(([run, key]) => ({ run, key }));
  if (keys.length === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const { key } of keys) [lo, hi] = [Math.min(lo, key), Math.max(hi, key)];
  const n = hi === lo ? 1 : MAX_BINS;
  const width = (hi - lo + 1) / n;
  return fill(keys, series, lo, hi, n).map((b, i) => ({
    from: new Date(lo + i * width).toISOString(),
    to: new Date(Math.min(hi, lo + (i + 1) * width - 1)).toISOString(),
    ...b,
  }));
}
