// Natural-breaks peak splitting (strax.split_peaks, algorithm 'natural_breaks') with straxen's threshold.
import type { RecordLayout } from '../../dtype/layout.js';
import { fieldOffsets, viewOf, type TimeBase } from './fields.js';
import { PEAK_FIELDS, concatRows } from './find-peaks.js';
import { computeProperties } from './peak-properties.js';
import { sumWaveform, type SumWaveformOptions } from './sum-waveform.js';
import type { HitColumns } from './hit-columns.js';

/** Left-to-right sum of squared deviations from the running mean, weights clipped at 0 (an online variance). */
function sumSquaredDeviations(w: Float32Array, reverse: boolean): Float64Array {
  const n = w.length;
  const out = new Float64Array(n);
  let mean = 0;
  let weights = 0;
  let s = 0;
  for (let q = 0; q < n; q++) {
    const x = Math.max(0, w[reverse ? n - 1 - q : q]!);
    weights += x;
    if (weights === 0) continue;
    const old = mean;
    mean = old + (x / weights) * (q - old);
    s += x * (q - old) * (q - mean);
    out[reverse ? n - 1 - q : q] = s;
  }
  return out;
}

/** strax.symmetric_moving_average in float32; sample 0 never leaves the window (strax's `just_out > 0`). */
export function symmetricMovingAverage(a: Float32Array, wing: number): Float32Array {
  if (wing === 0) return a;
  const n = a.length;
  const out = new Float32Array(n);
  let sum = 0;
  for (let k = 0; k < Math.min(wing, n); k++) sum = Math.fround(sum + a[k]!);
  let count = wing;
  for (let i = 0; i < n; i++) {
    const out_ = i - wing - 1;
    if (out_ > 0) {
      count--;
      sum = Math.fround(sum - a[out_]!);
    }
    if (i + wing < n) {
      count++;
      sum = Math.fround(sum + a[i + wing]!);
    }
    out[i] = sum / count;
  }
  return out;
}

/** Goodness of split at each index: 1 − (left + right deviations) / total, times 1 − (filtered w / its max) with split_low. */
export function naturalBreaksGof(w: Float32Array, dt: number, filterWingWidth: number, splitLow: boolean): Float64Array {
  const left = sumSquaredDeviations(w, false);
  const right = sumSquaredDeviations(w, true);
  const total = left[w.length - 1]!;
  const gof = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) gof[i] = 1 - (left[i]! + right[i]!) / total;
  if (splitLow) {
    const n = Math.floor(filterWingWidth / dt) - 1;
    const f = n > 0 ? symmetricMovingAverage(w, n) : w;
    let max = -Infinity;
    for (const x of f) if (x > max) max = x;
    for (let i = 0; i < w.length; i++) gof[i] = gof[i]! * Math.fround(1 - Math.fround(f[i]! / max));
  }
  return gof;
}

/** Linear interpolation clamped at the ends (np.interp) over points (x0, y0), (x1, y1). */
function interp(x: number, [[x0, y0], [x1, y1]]: GofLine): number {
  if (x <= x0) return y0;
  if (x >= x1) return y1;
  return ((y1 - y0) / (x1 - x0)) * (x - x0) + y0;
}

/** Two points (log10 area, threshold) of straxen's peak_split_gof_threshold lines. */
export type GofLine = readonly [readonly [number, number], readonly [number, number]];

/** straxen's natural_breaks_threshold: between the S1 line and the S2 line by a logistic function of the rise time. */
export function naturalBreaksThreshold(area: number, riseTime: number, s1Line: GofLine, s2Line: GofLine): number {
  const x = Math.fround(8 * Math.fround(Math.log10(Math.fround(Math.min(Math.max(riseTime, 1), 1e5) / 100))));
  const fS2 = Math.fround(1 / Math.fround(1 + Math.fround(Math.exp(-x))));
  const logArea = Math.fround(Math.log10(Math.min(Math.max(area, 1), 1e7)));
  return fS2 * interp(logArea, s2Line) + Math.fround(1 - fS2) * interp(logArea, s1Line);
}

export interface NaturalBreaksOptions extends SumWaveformOptions {
  s1Line: GofLine;
  s2Line: GofLine;
  splitLow: boolean;
  filterWingWidth: number;
  /** Peaks with less area [PE] are not split. */
  minArea: number;
  /** Split pieces are split again at most this many times in all. */
  iterations: number;
  /** dt of the records (split pieces start at this resolution). */
  recordDt: number;
}

/**
 * Split peaks at the first maximum of the goodness of split when it is above the threshold: pieces [0, i) and
 * [i, n − 1) of the (down-sampled) waveform, re-summed from the hits, their properties computed and split again.
 * Every evaluated peak gets max_goodness_of_split. Returns the peaks sorted by time.
 */
export function splitPeaks(peaks: Uint8Array, layout: RecordLayout, hits: Uint8Array | HitColumns, records: Uint8Array, recordLayout: RecordLayout, base: TimeBase, o: NaturalBreaksOptions): Uint8Array {
  if (records.length === 0 || peaks.length === 0 || o.iterations <= 0) return peaks;
  const at = fieldOffsets(layout, PEAK_FIELDS);
  const v = viewOf(peaks);
  const kept: Uint8Array[] = [];
  const pieces: Uint8Array[] = [];
  for (let p = 0; p < peaks.length; p += layout.itemsize) {
    const row = peaks.subarray(p, p + layout.itemsize);
    const area = v.getFloat32(p + at.area, true);
    if (area < o.minArea) {
      kept.push(row);
      continue;
    }
    const length = v.getInt32(p + at.length, true);
    const dt = v.getInt32(p + at.dt, true);
    const w = new Float32Array(length);
    for (let k = 0; k < length; k++) w[k] = v.getFloat32(p + at.data + 4 * k, true);
    const gof = naturalBreaksGof(w, dt, o.filterWingWidth, o.splitLow);
    let best = 0;
    for (let i = 1; i < gof.length; i++) if (gof[i]! > gof[best]! || (Number.isNaN(gof[i]!) && !Number.isNaN(gof[best]!))) best = i;
    const threshold = naturalBreaksThreshold(area, -v.getFloat32(p + at.area_decile_from_midpoint + 4, true), o.s1Line, o.s2Line);
    if (gof[best]! > threshold) {
      const t = base.rel(v, p + at.time);
      pieces.push(newPeak(layout, base, t, (best * dt) / o.recordDt, o.recordDt));
      pieces.push(newPeak(layout, base, t + best * dt, ((length - 1 - best) * dt) / o.recordDt, o.recordDt));
    } else {
      v.setFloat32(p + at.max_goodness_of_split, gof[best]!, true);
      kept.push(row);
    }
  }
  if (pieces.length === 0) return peaks;
  let split = concatRows(pieces, layout.itemsize);
  sumWaveform(split, layout, hits, records, recordLayout, base, o);
  computeProperties(split, layout, base, o.nTopChannels, o.wasm);
  split = splitPeaks(split, layout, hits, records, recordLayout, base, { ...o, iterations: o.iterations - 1 });
  return sortPeaksByTime([...kept, ...rowsOf(split, layout.itemsize)], layout, base);
}

function newPeak(layout: RecordLayout, base: TimeBase, time: number, length: number, dt: number): Uint8Array {
  const at = fieldOffsets(layout, PEAK_FIELDS);
  const row = new Uint8Array(layout.itemsize);
  const v = viewOf(row);
  base.write(v, at.time, time);
  v.setInt32(at.length, Math.trunc(length), true);
  v.setInt32(at.dt, dt, true);
  v.setInt16(at.channel, -1, true);
  for (const name of ['max_gap', 'max_diff', 'min_diff'] as const) v.setInt32(at[name], -1, true);
  for (const name of ['first_channel', 'last_channel'] as const) v.setInt16(at[name], -1, true);
  return row;
}

function rowsOf(rows: Uint8Array, itemsize: number): Uint8Array[] {
  return Array.from({ length: rows.length / itemsize }, (_, i) => rows.subarray(i * itemsize, (i + 1) * itemsize));
}

/** Peak rows (channel −1) sorted by time, stable. */
function sortPeaksByTime(rows: Uint8Array[], layout: RecordLayout, base: TimeBase): Uint8Array {
  const at = fieldOffsets(layout, ['time', 'channel']);
  const key = (r: Uint8Array) => base.rel(viewOf(r), at.time) * 65536 + viewOf(r).getInt16(at.channel, true);
  const order = rows.map((r, i) => [key(r), i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return concatRows(order.map(([, i]) => rows[i]!), layout.itemsize);
}
