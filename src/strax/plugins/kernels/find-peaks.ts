// strax.find_peaks: hits grouped into peaks by a gap threshold, extended left and right; straxen's clip to the chunk.
import { ConfigError } from '../../../errors.js';
import type { RecordLayout } from '../../dtype/layout.js';
import { DIGITAL_SUM_WAVEFORM_CHANNEL } from '../../dtype/standard.js';
import { fieldOffsets, viewOf, type FieldOffsets, type TimeBase } from './fields.js';
import { HIT, HIT_AT } from './find-hits.js';
import { ChannelWithoutGain, findPeaksInWasm, type WasmRecords } from './records-wasm.js';

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

/**
 * Peak rows from sorted hits: time, length, dt, channel, area, area_per_channel, n_hits, max_gap (the rest zero).
 * `hitIntervals`, when given (n long), receives each hit's [time, endtime) relative to the base.
 */
export function findPeaks(hits: Uint8Array, layout: RecordLayout, base: TimeBase, o: FindPeaksOptions, hitIntervals?: { start: Float64Array; end: Float64Array }): Uint8Array {
  try {
    const found = findPeaksInWasm(hits, layout, base, o, hitIntervals);
    if (found) return found;
  } catch (error) {
    if (error instanceof ChannelWithoutGain) throw channelOutOfRange(error.channel, o.toPe.length);
    throw error;
  }
  return findPeaksInJs(hits, layout, base, o, hitIntervals);
}

/**
 * findPeaks beside `wasm`'s records, which keep the hits and their intervals for the split that follows
 * (WasmRecords.splitHits); undefined where WebAssembly cannot (use findPeaks then).
 */
export function findPeaksBeside(wasm: WasmRecords, hits: Uint8Array, layout: RecordLayout, o: FindPeaksOptions): Uint8Array | undefined {
  try {
    return wasm.findPeaks(hits, layout, o);
  } catch (error) {
    if (error instanceof ChannelWithoutGain) throw channelOutOfRange(error.channel, o.toPe.length);
    throw error;
  }
}

/** findPeaks in JavaScript: the reference, and where WebAssembly has no memory. */
export function findPeaksInJs(hits: Uint8Array, layout: RecordLayout, base: TimeBase, o: FindPeaksOptions, hitIntervals?: { start: Float64Array; end: Float64Array }): Uint8Array {
  const n = hits.length / HIT.itemsize;
  const hv = viewOf(hits);
  const at = fieldOffsets(layout, PEAK_FIELDS);
  const nChannels = layout.field('area_per_channel').count;
  const apc = new Float32Array(nChannels);
  const touched = new ChannelSet(nChannels);
  const { toPe, gapThreshold, leftExtension, rightExtension, minArea, minChannels, maxDuration } = o;
  const rows: Uint8Array[] = [];
  let pTime = 0;
  let area = 0;
  let nHits = 0;
  let maxGap = 0;
  let peakEnd = 0;
  let inPeak = false;
  let t0 = n > 0 ? base.rel(hv, HIT_AT.time) : 0;
  for (let i = 0, h = 0; i < n; i++, h += HIT.itemsize) {
    const dt = hv.getInt16(h + HIT_AT.dt, true);
    const t1 = t0 + dt * hv.getInt32(h + HIT_AT.length, true);
    if (hitIntervals) {
      hitIntervals.start[i] = t0;
      hitIntervals.end[i] = t1;
    }
    const ch = hv.getInt16(h + HIT_AT.channel, true);
    if (!(ch >= 0 && ch < toPe.length)) throw channelOutOfRange(ch, toPe.length);
    if (inPeak) maxGap = Math.max(maxGap, t0 - peakEnd);
    else {
      touched.clear(apc);
      peakEnd = t1;
      pTime = t0 - leftExtension;
      nHits = area = maxGap = 0;
      inPeak = true;
    }
    nHits++;
    peakEnd = Math.max(peakEnd, t1);
    const pe = hv.getFloat32(h + HIT_AT.area, true) * toPe[ch]!;
    apc[ch] = apc[ch]! + pe;
    touched.add(ch);
    area = Math.fround(area + pe);
    // This hit ends the peak if it is the last, the next one is a gap away, or including it would exceed max_duration.
    let last = i === n - 1;
    if (!last) {
      const next = h + HIT.itemsize;
      const tNext = base.rel(hv, next + HIT_AT.time);
      const span = tNext - pTime + hv.getInt16(next + HIT_AT.dt, true) * hv.getInt32(next + HIT_AT.length, true) + leftExtension + rightExtension;
      last = tNext - peakEnd >= gapThreshold || span > maxDuration;
      t0 = tNext;
    }
    if (!last) continue;
    inPeak = false;
    if (area < minArea || touched.countNonzero(apc) < minChannels) continue;
    rows.push(peakRow(layout, at, base, { time: pTime, length: Math.trunc((peakEnd - pTime + rightExtension) / dt), dt, area, nHits, maxGap }, apc));
  }
  return concatRows(rows, layout.itemsize);
}

function peakRow(layout: RecordLayout, at: FieldOffsets<(typeof PEAK_FIELDS)[number]>, base: TimeBase, p: { time: number; length: number; dt: number; area: number; nHits: number; maxGap: number }, apc: Float32Array): Uint8Array {
  const row = new Uint8Array(layout.itemsize);
  const v = viewOf(row);
  base.write(v, at.time, p.time);
  v.setInt32(at.length, p.length, true);
  v.setInt32(at.dt, p.dt, true);
  v.setInt16(at.channel, DIGITAL_SUM_WAVEFORM_CHANNEL, true);
  v.setFloat32(at.area, p.area, true);
  for (let c = 0; c < apc.length; c++) v.setFloat32(at.area_per_channel + 4 * c, apc[c]!, true);
  v.setInt32(at.n_hits, p.nHits, true);
  v.setInt32(at.max_gap, p.maxGap, true);
  return row;
}

function channelOutOfRange(ch: number, n: number): ConfigError {
  return new ConfigError(`a hit in channel ${ch}, but the peaks have ${n} channels (n_tpc_pmts / to_pe): set n_tpc_pmts above the largest channel`, { context: { option: 'n_tpc_pmts' } });
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
