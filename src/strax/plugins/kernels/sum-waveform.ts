// strax.sum_waveform: a peak's summed waveform (PE/sample) from the samples of its hits, down-sampled to fit, with
// area, area per channel, the top-array waveform, the first samples and saturation.
import os from 'node:os';
import type { RecordLayout } from '../../dtype/layout.js';
import { fieldOffsets, viewOf, type FieldOffsets, type TimeBase } from './fields.js';
import { fractionalPart } from './find-hits.js';
import { PEAK_FIELDS } from './find-peaks.js';
import type { RecordLinks } from './record-links.js';
import { hitColumns, type HitColumns } from './hit-columns.js';
import { WasmRecords } from './records-wasm.js';

export interface SumWaveformOptions {
  toPe: Float64Array;
  /** The hits' columns when already read (callers summing several times from the same hits pass them on). */
  hitColumns?: HitColumns;
  links: RecordLinks;
  /** The records already in WebAssembly memory (a recipe loads them once for all its kernels); loaded here otherwise. */
  wasm?: WasmRecords;
  /** Channels below this number are the top array. */
  nTopChannels?: number;
  storeDataTop?: boolean;
  storeDataStart?: boolean;
}

const LITTLE_ENDIAN_HOST = os.endianness() === 'LE';

type PeakOffsets = FieldOffsets<(typeof PEAK_FIELDS)[number]>;
type RecordOffsets = FieldOffsets<'time' | 'length' | 'dt' | 'baseline' | 'amplitude_bit_shift' | 'data'>;

/** Fill the waveform fields of every peak row (sorted by time) from the hits (sorted by time; rows or their columns) overlapping it. */
export function sumWaveform(peaks: Uint8Array, layout: RecordLayout, hits: Uint8Array | HitColumns, records: Uint8Array, recordLayout: RecordLayout, base: TimeBase, o: SumWaveformOptions): void {
  const nRec = records.length / recordLayout.itemsize;
  const nPeaks = peaks.length / layout.itemsize;
  if (nRec === 0 || nPeaks === 0) return;
  const at = fieldOffsets(layout, PEAK_FIELDS);
  const rec = fieldOffsets(recordLayout, ['time', 'length', 'dt', 'baseline', 'amplitude_bit_shift', 'data']);
  const samplesPerRecord = recordLayout.field('data').count;
  const nWaveform = layout.field('data').count;
  const nChannels = layout.field('area_per_channel').count;
  const pv = viewOf(peaks);
  const rv = viewOf(records);
  const dt = rv.getInt16(rec.dt, true);
  const H = o.hitColumns ?? (hits instanceof Uint8Array ? hitColumns(hits, base) : hits);
  const nHits = H.time.length;
  let maxLength = 0;
  for (let p = 0; p < peaks.length; p += layout.itemsize) maxLength = Math.max(maxLength, pv.getInt32(p + at.length, true));
  const wasm = o.wasm?.records === records && o.wasm.layout === recordLayout && o.wasm.base.value === base.value ? o.wasm : WasmRecords.load(records, recordLayout, base);
  if (wasm?.sum(peaks, layout, H, o.links, { toPe: o.toPe, dt, maxLength, nTopChannels: o.nTopChannels ?? 0, storeDataTop: o.storeDataTop ?? false, storeDataStart: o.storeDataStart ?? false })) return;
  // The JavaScript summing: the reference, and where WebAssembly has no memory.
  const sum = new Float32Array(2 * maxLength);
  const top = new Float32Array(2 * maxLength);
  const apc = new Float32Array(nChannels);
  const apcBytes = littleEndianBytes(apc);
  const hitWf = new Float32Array(H.maxLength);
  const nTop = o.nTopChannels ?? 0;
  const saturated = new Uint8Array(nChannels);
  let first = 0;
  for (let p = 0; p < peaks.length; p += layout.itemsize) {
    const pTime = base.rel(pv, p + at.time);
    const pLength = pv.getInt32(p + at.length, true);
    sum.fill(0, 0, Math.min(2 * pLength, sum.length));
    top.fill(0, 0, Math.min(2 * pLength, top.length));
    apc.fill(0);
    pv.setFloat32(p + at.area, 0, true);
    while (first < nHits && !(pTime < H.time[first]! + H.length[first]! * dt)) first++;
    if (first === nHits) break;
    saturated.set(peaks.subarray(p + at.saturated_channel, p + at.saturated_channel + nChannels));
    let area = 0;
    for (let i = first; i < nHits; i++) {
      const hTime = H.time[i]!;
      const hLength = H.length[i]!;
      const shift = Math.floor((pTime - hTime) / dt);
      if (shift <= -pLength) break;
      if (hLength <= shift) continue;
      const hitStart = Math.floor(hTime / dt);
      overlapIndices(hitStart, hLength, Math.floor(pTime / dt), pLength, inPeak);
      const hs = inPeak[0]!;
      const he = inPeak[1]!;
      const ps = inPeak[2]!;
      const r = H.record[i]!;
      const ch = H.channel[i]!;
      const prev = H.leftIntegration[i]! < 0 ? o.links.prev[r]! : -1;
      const next = H.rightIntegration[i]! > samplesPerRecord ? o.links.next[r]! : -1;
      const topWf = o.storeDataTop && ch < nTop ? top : undefined;
      if (prev === -1 && next === -1) {
        // The hit's samples all come from its own record: sum them straight from there (the same float32 steps).
        addHitFromRecord(hitStart, hLength, inPeak, rv, r * recordLayout.itemsize, rec, base, o.toPe[ch]!, sum, topWf, hit);
      } else {
        hitWf.fill(0, 0, hLength); // only [0, hit length) is written and read
        hit.saturated = hitWaveform(hitStart, hLength, rv, r * recordLayout.itemsize, rec, base, hitWf);
        if (prev !== -1) hit.saturated |= hitWaveform(hitStart, hLength, rv, prev * recordLayout.itemsize, rec, base, hitWf);
        if (next !== -1) hit.saturated |= hitWaveform(hitStart, hLength, rv, next * recordLayout.itemsize, rec, base, hitWf);
        hit.area = addHitToWaveform(hitWf, hs, he, o.toPe[ch]!, sum, ps, topWf);
      }
      saturated[ch]! |= hit.saturated;
      const hitArea = hit.area;
      apc[ch] = apc[ch]! + hitArea;
      area = Math.fround(area + hitArea);
    }
    pv.setFloat32(p + at.area, area, true);
    storeDownsampledWaveform(pv, p, at, nWaveform, sum, o.storeDataTop ? top : undefined, o.storeDataStart ?? false);
    peaks.set(saturated, p + at.saturated_channel);
    peaks.set(apcBytes, p + at.area_per_channel); // float32 little-endian, as the row stores them
    let nSaturated = 0;
    for (let c = 0; c < nChannels; c++) nSaturated += saturated[c]!;
    pv.setInt16(p + at.n_saturated_channels, nSaturated, true);
  }
}

/** The bytes of a float32 array as a little-endian row stores them (the host must be little-endian, as strax columns need). */
function littleEndianBytes(a: Float32Array): Uint8Array {
  if (!LITTLE_ENDIAN_HOST) throw new Error('sum_waveform needs a little-endian host');
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function addHitToWaveform(hitWf: Float32Array, hs: number, he: number, toPe: number, sum: Float32Array, ps: number, top: Float32Array | undefined): number {
  let area = 0;
  for (let k = hs, q = ps; k < he; k++, q++) {
    const x = Math.fround(hitWf[k]! * toPe);
    sum[q] = sum[q]! + x;
    if (top) top[q] = top[q]! + x;
    area = Math.fround(area + x);
  }
  return area;
}

/**
 * strax.overlap_indices: the overlap of [a1, a1 + na) and [b1, b1 + nb) as index ranges into a and into b, written to
 * `out` as [aStart, aEnd, bStart, bEnd] (all 0 without overlap).
 */
export function overlapIndices(a1: number, na: number, b1: number, nb: number, out: Int32Array): Int32Array {
  out[0] = out[1] = out[2] = out[3] = 0;
  if (na === 0 || nb === 0) return out;
  const s = a1 - b1;
  if (s <= -na) return out;
  const bStart = Math.max(0, s);
  const bEnd = Math.min(nb, s + na);
  if (bStart >= bEnd) return out;
  out[0] = Math.max(0, -s);
  out[1] = Math.min(na, -s + nb);
  out[2] = bStart;
  out[3] = bEnd;
  return out;
}

const inPeak = new Int32Array(4);
const inRecord = new Int32Array(4);
/** The last hit's area [PE] and whether its record saturates (reused, no allocation per hit). */
const hit = { area: 0, saturated: 0 };

/**
 * The hit's samples that overlap the peak (`[hs, he)` of the hit, from peak sample `ps`), read straight from its record
 * as `f32(f32(data·2^shift + baseline % 1) · to_pe)`, added to the waveform(s); area and saturation into `result`.
 */
function addHitFromRecord(hitStart: number, hLength: number, peakOverlap: Int32Array, rv: DataView, r: number, rec: RecordOffsets, base: TimeBase, toPe: number, sum: Float32Array, top: Float32Array | undefined, result: typeof hit): void {
  const hs = peakOverlap[0]!;
  const he = peakOverlap[1]!;
  const ps = peakOverlap[2]!;
  const { multiplier, fpart } = readRecordOverlap(hitStart, hLength, rv, r, rec, base);
  const k0 = inRecord[0]!;
  const k1 = inRecord[1]!;
  const j0 = inRecord[2]!;
  const d0 = r + rec.data;
  let max = -Infinity;
  let area = 0;
  for (let k = k0, j = j0; k < k1; k++, j++) {
    const x = rv.getInt16(d0 + 2 * j, true);
    if (x > max) max = x;
    if (k < hs || k >= he) continue;
    const pe = Math.fround(Math.fround(multiplier * x + fpart) * toPe);
    const q = ps + k - hs;
    sum[q] = sum[q]! + pe;
    if (top) top[q] = top[q]! + pe;
    area = Math.fround(area + pe);
  }
  result.area = area;
  result.saturated = saturates(max);
}

/** What the hit needs of a record: the overlap (into `inRecord`), the amplitude multiplier and the baseline. */
const recordPart = { multiplier: 1, baseline: 0, fpart: 0 };

function readRecordOverlap(hitStart: number, hLength: number, rv: DataView, r: number, rec: RecordOffsets, base: TimeBase): typeof recordPart {
  const rdt = rv.getInt16(r + rec.dt, true);
  overlapIndices(hitStart, hLength, Math.floor(base.rel(rv, r + rec.time) / rdt), rv.getInt32(r + rec.length, true), inRecord);
  recordPart.multiplier = 2 ** rv.getInt16(r + rec.amplitude_bit_shift, true);
  recordPart.baseline = rv.getFloat32(r + rec.baseline, true);
  recordPart.fpart = fractionalPart(recordPart.baseline);
  return recordPart;
}

/** strax's saturation test for the record last read: its largest sample reaches int16(baseline). 1 or 0. */
function saturates(maxSample: number): number {
  return maxSample * recordPart.multiplier >= ((Math.trunc(recordPart.baseline) << 16) >> 16) ? 1 : 0;
}

/**
 * The samples of the hit (starting at sample index `hitStart`, `hLength` long) in one record,
 * `data·2^bit_shift + baseline % 1` (float32), into `wf`; 1 if the record saturates.
 */
function hitWaveform(hitStart: number, hLength: number, rv: DataView, r: number, rec: RecordOffsets, base: TimeBase, wf: Float32Array): number {
  const { multiplier, fpart } = readRecordOverlap(hitStart, hLength, rv, r, rec, base);
  const hs = inRecord[0]!;
  const he = inRecord[1]!;
  const rs = inRecord[2]!;
  let max = -Infinity;
  for (let k = hs, j = rs; k < he; k++, j++) {
    const x = rv.getInt16(r + rec.data + 2 * j, true);
    if (x > max) max = x;
    wf[k] = multiplier * x + fpart;
  }
  return saturates(max);
}

/**
 * strax.store_downsampled_waveform: peaks longer than the waveform field are down-sampled by ceil(length / n) (the
 * tail that does not fill a whole block is dropped, dt multiplied); `data_start` keeps the first n samples.
 */
export function storeDownsampledWaveform(pv: DataView, p: number, at: PeakOffsets, n: number, sum: Float32Array, top: Float32Array | undefined, storeStart: boolean): void {
  const length = pv.getInt32(p + at.length, true);
  const factor = Math.ceil(length / n);
  const stored = factor > 1 ? Math.floor(length / factor) : length;
  const put = (field: number, wf: Float32Array) => {
    for (let k = 0; k < stored; k++) {
      let x = 0;
      for (let j = k * factor; j < (k + 1) * factor; j++) x = Math.fround(x + wf[j]!);
      pv.setFloat32(p + field + 4 * k, x, true);
    }
  };
  if (top) put(at.data_top, top);
  put(at.data, sum);
  if (factor > 1) {
    pv.setInt32(p + at.length, stored, true);
    pv.setInt32(p + at.dt, pv.getInt32(p + at.dt, true) * factor, true);
  }
  if (storeStart) for (let k = 0; k < Math.min(length, n); k++) pv.setFloat32(p + at.data_start + 4 * k, sum[k]!, true);
}
