// strax.find_peaks: hits grouped into peaks by a gap threshold, extended left and right; straxen's clip to the chunk.
import type { RecordLayout } from '../../dtype/layout.js';
import { DIGITAL_SUM_WAVEFORM_CHANNEL } from '../../dtype/standard.js';
import { fieldOffsets, viewOf, type TimeBase } from './fields.js';
import { HIT, HIT_AT } from './find-hits.js';

export interface FindPeaksOptions {
  /** ADC·samples → PE per channel (to_pe). */
  toPe: Float64Array;
  /** A hit at least this far [ns] after the peak's last hit end starts a new peak. */
  gapThreshold: number;
  leftExtension: number;
  rightExtension: number;
  minArea: number;
  /** Channels with a nonzero area a peak needs. */
  minChannels: number;
  maxDuration: number;
}

export const PEAK_FIELDS = ['time', 'length', 'dt', 'channel', 'type', 'area', 'area_fraction_top', 'area_per_channel', 'n_hits', 'data_top', 'data_start', 'data', 'center_time', 'median_time', 'width', 'area_decile_from_midpoint', 'saturated_channel', 'n_saturated_channels', 'max_gap', 'max_goodness_of_split', 'max_diff', 'min_diff', 'first_channel', 'last_channel'] as const;

/** Peak rows from sorted hits: time, length, dt, channel, area, area_per_channel, n_hits, max_gap (the rest zero). */
export function findPeaks(hits: Uint8Array, layout: RecordLayout, base: TimeBase, o: FindPeaksOptions): Uint8Array {
  const n = hits.length / HIT.itemsize;
  const hv = viewOf(hits);
  const at = fieldOffsets(layout, PEAK_FIELDS);
  const nChannels = layout.field('area_per_channel').count;
  const apc = new Float32Array(nChannels);
  const touched = new ChannelSet(nChannels);
  const rows: Uint8Array[] = [];
  let p = new Uint8Array(layout.itemsize);
  let pv = viewOf(p);
  let pTime = 0;
  let area = 0;
  let nHits = 0;
  let maxGap = 0;
  let peakEnd = 0;
  let inPeak = false;
  for (let i = 0, h = 0; i < n; i++, h += HIT.itemsize) {
    const t0 = base.rel(hv, h + HIT_AT.time);
    const dt = hv.getInt16(h + HIT_AT.dt, true);
    const t1 = t0 + dt * hv.getInt32(h + HIT_AT.length, true);
    const ch = hv.getInt16(h + HIT_AT.channel, true);
    if (inPeak) maxGap = Math.max(maxGap, t0 - peakEnd);
    else {
      touched.clear(apc);
      peakEnd = t1;
      pTime = t0 - o.leftExtension;
      nHits = area = maxGap = 0;
      inPeak = true;
    }
    nHits++;
    peakEnd = Math.max(peakEnd, t1);
    const pe = hv.getFloat32(h + HIT_AT.area, true) * o.toPe[ch]!;
    apc[ch] = apc[ch]! + pe;
    touched.add(ch);
    area = Math.fround(area + pe);
    if (!isLastHitOfPeak(hv, h, i === n - 1, base, pTime, peakEnd, o)) continue;
    inPeak = false;
    if (area < o.minArea || touched.countNonzero(apc) < o.minChannels) continue;
    base.write(pv, at.time, pTime);
    pv.setInt32(at.length, Math.trunc((peakEnd - pTime + o.rightExtension) / dt), true);
    pv.setInt32(at.dt, dt, true);
    pv.setInt16(at.channel, DIGITAL_SUM_WAVEFORM_CHANNEL, true);
    pv.setFloat32(at.area, area, true);
    for (let c = 0; c < nChannels; c++) pv.setFloat32(at.area_per_channel + 4 * c, apc[c]!, true);
    pv.setInt32(at.n_hits, nHits, true);
    pv.setInt32(at.max_gap, maxGap, true);
    rows.push(p);
    p = new Uint8Array(layout.itemsize);
    pv = viewOf(p);
  }
  return concatRows(rows, layout.itemsize);
}

/** The peak ends after hit h: it is the last hit, the next is a gap away, or including it would exceed max_duration. */
function isLastHitOfPeak(hv: DataView, h: number, last: boolean, base: TimeBase, pTime: number, peakEnd: number, o: FindPeaksOptions): boolean {
  if (last) return true;
  const next = h + HIT.itemsize;
  const t = base.rel(hv, next + HIT_AT.time);
  if (t - peakEnd >= o.gapThreshold) return true;
  const span = t - pTime + hv.getInt16(next + HIT_AT.dt, true) * hv.getInt32(next + HIT_AT.length, true) + o.leftExtension + o.rightExtension;
  return span > o.maxDuration;
}

/** The channels a peak candidate has touched, so clearing and counting cost per hit, not per channel. */
class ChannelSet {
  private readonly list: Int32Array;
  private readonly member: Uint8Array;
  private n = 0;

  constructor(nChannels: number) {
    this.list = new Int32Array(nChannels);
    this.member = new Uint8Array(nChannels);
  }

  add(ch: number): void {
    if (this.member[ch]) return;
    this.member[ch] = 1;
    this.list[this.n++] = ch;
  }

  /** Channels with a nonzero value (untouched channels are zero). */
  countNonzero(values: Float32Array): number {
    let k = 0;
    for (let q = 0; q < this.n; q++) if (values[this.list[q]!] !== 0) k++;
    return k;
  }

  /** Zero the touched values and forget them. */
  clear(values: Float32Array): void {
    for (let q = 0; q < this.n; q++) {
      values[this.list[q]!] = 0;
      this.member[this.list[q]!] = 0;
    }
    this.n = 0;
  }
}

export function concatRows(rows: Uint8Array[], itemsize: number): Uint8Array {
  const out = new Uint8Array(rows.length * itemsize);
  rows.forEach((r, i) => out.set(r, i * itemsize));
  return out;
}

/** straxen's clip_peaklet_times: a row starting before `start` starts at `start` (length kept); one ending after `end` is cut. */
export function clipToChunk(rows: Uint8Array, at: { itemsize: number; time: number; length: number; dt: number }, dtIsInt32: boolean, base: TimeBase, start: number, end: number): void {
  const v = viewOf(rows);
  for (let o = 0; o < rows.length; o += at.itemsize) {
    let t = base.rel(v, o + at.time);
    if (t < start) base.write(v, o + at.time, (t = start));
    const dt = dtIsInt32 ? v.getInt32(o + at.dt, true) : v.getInt16(o + at.dt, true);
    if (t + v.getInt32(o + at.length, true) * dt > end) v.setInt32(o + at.length, Math.floor((end - t) / dt), true);
  }
}
