// strax.sum_waveform in WebAssembly, compiled by AssemblyScript (`npm run build:wasm`): for every peak, the samples of
// the hits overlapping it, each `f32(f32(data·2^shift + baseline % 1) · to_pe)`, summed into the peak's float32
// waveform (and the top array's), area and area per channel, the saturated channels, then the waveform down-sampled
// into the row. The caller (src/strax/plugins/kernels/sum-waveform-wasm.ts) copies peaks, records, record links and
// the hits' columns into the memory it imports; sumWaveform in sum-waveform.ts is the JavaScript reference, and every
// step here is one of its steps with the same double or float32 rounding.
import { toInt32 } from './js-numbers';

// Peak row fields (configurePeaks).
let peakSize: usize = 0;
let peakTime: usize = 0;
let peakLength: usize = 0;
let peakDt: usize = 0;
let peakArea: usize = 0;
let peakAreaPerChannel: usize = 0;
let peakDataTop: usize = 0;
let peakDataStart: usize = 0;
let peakData: usize = 0;
let peakSaturated: usize = 0;
let peakNSaturated: usize = 0;
let waveformSamples: i32 = 0;
let nChannels: i32 = 0;

// Record row fields (configureRecords).
let recordSize: usize = 0;
let recordLength: usize = 0;
let recordBaseline: usize = 0;
let recordBitShift: usize = 0;
let recordData: usize = 0;
let samplesPerRecord: i32 = 0;

export function configurePeaks(size: usize, time: usize, length: usize, dt: usize, area: usize, areaPerChannel: usize, dataTop: usize, dataStart: usize, data: usize, saturated: usize, nSaturated: usize, samples: i32, channels: i32): void {
  peakSize = size;
  peakTime = time;
  peakLength = length;
  peakDt = dt;
  peakArea = area;
  peakAreaPerChannel = areaPerChannel;
  peakDataTop = dataTop;
  peakDataStart = dataStart;
  peakData = data;
  peakSaturated = saturated;
  peakNSaturated = nSaturated;
  waveformSamples = samples;
  nChannels = channels;
}

export function configureRecords(size: usize, length: usize, baseline: usize, bitShift: usize, data: usize, samples: i32): void {
  recordSize = size;
  recordLength = length;
  recordBaseline = baseline;
  recordBitShift = bitShift;
  recordData = data;
  samplesPerRecord = samples;
}

// Where the hits' columns lie (setHits): time relative to the base, length, record index, integration bounds, channel.
let hitTime: usize = 0;
let hitLength: usize = 0;
let hitRecord: usize = 0;
let hitLeftIntegration: usize = 0;
let hitRightIntegration: usize = 0;
let hitChannel: usize = 0;
let nHits: i32 = 0;

export function setHits(time: usize, length: usize, record: usize, leftIntegration: usize, rightIntegration: usize, channel: usize, n: i32): void {
  hitTime = time;
  hitLength = length;
  hitRecord = record;
  hitLeftIntegration = leftIntegration;
  hitRightIntegration = rightIntegration;
  hitChannel = channel;
  nHits = n;
}

// Where the records and their links lie (setRecords).
let records: usize = 0;
let nRecords: i32 = 0;
let prevRecord: usize = 0;
let nextRecord: usize = 0;

export function setRecords(at: usize, n: i32, prev: usize, next: usize): void {
  records = at;
  nRecords = n;
  prevRecord = prev;
  nextRecord = next;
}

// The working arrays (setScratch): the peak's waveforms (`waveformCapacity` floats each), area per channel, saturated
// channels, one hit's samples, and to_pe by channel.
let sum: usize = 0;
let top: usize = 0;
let waveformCapacity: i32 = 0;
let areaPerChannel: usize = 0;
let saturated: usize = 0;
let hitSamples: usize = 0;
let toPe: usize = 0;
let nToPe: i32 = 0;

export function setScratch(sumAt: usize, topAt: usize, capacity: i32, areaPerChannelAt: usize, saturatedAt: usize, hitSamplesAt: usize, toPeAt: usize, toPeLength: i32): void {
  sum = sumAt;
  top = topAt;
  waveformCapacity = capacity;
  areaPerChannel = areaPerChannelAt;
  saturated = saturatedAt;
  hitSamples = hitSamplesAt;
  toPe = toPeAt;
  nToPe = toPeLength;
}

// Each hit's first sample since the base (8·nHits bytes, worked out once per sumWaveforms call) and each record's
// (recordColumns' startSample column): the divisions run side by side, not on the hit loop's path.
let hitStarts: usize = 0;
let recordStarts: usize = 0;

export function setStartColumns(hitStartsAt: usize, recordStartSamplesAt: usize): void {
  hitStarts = hitStartsAt;
  recordStarts = recordStartSamplesAt;
}

/** sumWaveforms' result when a hit names a record outside the records given (the JavaScript summing then reports it). */
export const BAD_RECORD: i32 = -1;

/**
 * Sums the waveforms of the `n` peak rows at `peaks` (sorted by time) from the hits (sorted by time); `dt` is the
 * records' sample width, `base` the time the hits' times are relative to. Writes area, data, data_top (when
 * `storeTop`), data_start (when `storeStart`), length and dt when down-sampled, saturated_channel, area_per_channel
 * and n_saturated_channels, as sumWaveform does. Returns 0, or BAD_RECORD having changed rows.
 */
export function sumWaveforms(peaks: usize, n: i32, dt: f64, base: i64, nTop: i32, storeTop: bool, storeStart: bool): i32 {
  for (let i = 0; i < nHits; i++) store<f64>(hitStarts + (<usize>i << 3), Math.floor(load<f64>(hitTime + (<usize>i << 3)) / dt));
  let first = 0;
  for (let p = 0; p < n; p++) {
    const row = peaks + <usize>p * peakSize;
    const pTime = <f64>(load<i64>(row + peakTime) - base);
    const pLength = load<i32>(row + peakLength);
    const cleared = <i32>min(2 * <i64>pLength, <i64>waveformCapacity);
    if (cleared > 0) {
      memory.fill(sum, 0, <usize>cleared << 2);
      memory.fill(top, 0, <usize>cleared << 2);
    }
    memory.fill(areaPerChannel, 0, <usize>nChannels << 2);
    store<f32>(row + peakArea, 0);
    while (first < nHits && !(pTime < load<f64>(hitTime + (<usize>first << 3)) + <f64>load<i32>(hitLength + (<usize>first << 2)) * dt)) first++;
    if (first == nHits) break;
    memory.copy(saturated, row + peakSaturated, <usize>nChannels);
    let area: f32 = 0;
    const peakStart = Math.floor(pTime / dt);
    for (let i = first; i < nHits; i++) {
      const hTime = load<f64>(hitTime + (<usize>i << 3));
      const hLength = load<i32>(hitLength + (<usize>i << 2));
      const shift = Math.floor((pTime - hTime) / dt);
      if (shift <= -<f64>pLength) break;
      if (<f64>hLength <= shift) continue;
      const hitStart = load<f64>(hitStarts + (<usize>i << 3));
      overlapIndices(hitStart, hLength, peakStart, pLength);
      const hs = overlapA0;
      const he = overlapA1;
      const ps = overlapB0;
      const r = load<i32>(hitRecord + (<usize>i << 2));
      if (r < 0 || r >= nRecords) return BAD_RECORD;
      const ch = <i32>load<i16>(hitChannel + (<usize>i << 1));
      const prev = load<i16>(hitLeftIntegration + (<usize>i << 1)) < 0 ? load<i32>(prevRecord + (<usize>r << 2)) : -1;
      const next = <i32>load<i16>(hitRightIntegration + (<usize>i << 1)) > samplesPerRecord ? load<i32>(nextRecord + (<usize>r << 2)) : -1;
      const withTop = storeTop && ch < nTop;
      const pe = ch >= 0 && ch < nToPe ? load<f64>(toPe + (<usize>ch << 3)) : NaN;
      let hitArea: f32;
      let hitSaturated: i32;
      if (prev == -1 && next == -1) {
        hitArea = addHitFromRecord(hitStart, hLength, hs, he, ps, r, pe, withTop);
        hitSaturated = lastSaturated;
      } else {
        if (hLength > 0) memory.fill(hitSamples, 0, <usize>hLength << 2);
        hitSaturated = hitWaveform(hitStart, hLength, r);
        if (prev != -1) hitSaturated |= hitWaveform(hitStart, hLength, prev);
        if (next != -1) hitSaturated |= hitWaveform(hitStart, hLength, next);
        hitArea = addHitToWaveform(hs, he, pe, ps, withTop);
      }
      if (ch >= 0 && ch < nChannels) {
        const s = saturated + <usize>ch;
        store<u8>(s, load<u8>(s) | <u8>hitSaturated);
        const a = areaPerChannel + (<usize>ch << 2);
        store<f32>(a, load<f32>(a) + hitArea);
      }
      area += hitArea;
    }
    store<f32>(row + peakArea, area);
    storeDownsampledWaveform(row, storeTop, storeStart);
    memory.copy(row + peakSaturated, saturated, <usize>nChannels);
    memory.copy(row + peakAreaPerChannel, areaPerChannel, <usize>nChannels << 2);
    let nSaturated: i32 = 0;
    for (let c = 0; c < nChannels; c++) nSaturated += <i32>load<u8>(saturated + <usize>c);
    store<i16>(row + peakNSaturated, <i16>nSaturated);
  }
  return 0;
}

// strax.overlap_indices of [a1, a1 + na) and [b1, b1 + nb): the overlap as indices into a (A0…A1) and into b (B0…),
// all 0 without overlap. In doubles, as sumWaveform computes it (a1 and b1 are sample numbers since the base).
let overlapA0: i32 = 0;
let overlapA1: i32 = 0;
let overlapB0: i32 = 0;

@inline function overlapIndices(a1: f64, na: i32, b1: f64, nb: i32): void {
  overlapA0 = overlapA1 = overlapB0 = 0;
  if (na == 0 || nb == 0) return;
  const s = a1 - b1;
  if (s <= -<f64>na) return;
  const bStart = max(0, s);
  const bEnd = min(<f64>nb, s + <f64>na);
  if (bStart >= bEnd) return;
  overlapA0 = <i32>max(0, -s);
  overlapA1 = <i32>min(<f64>na, -s + <f64>nb);
  overlapB0 = <i32>bStart;
}

// What a hit needs of record r: the overlap of the hit with it (record part), its amplitude multiplier and baseline.
let multiplier: f64 = 1;
let baseline: f64 = 0;
let fpart: f64 = 0;

@inline function readRecordOverlap(hitStart: f64, hLength: i32, r: i32): usize {
  const at = records + <usize>r * recordSize;
  overlapIndices(hitStart, hLength, load<f64>(recordStarts + (<usize>r << 3)), load<i32>(at + recordLength));
  multiplier = powerOfTwo(<i32>load<i16>(at + recordBitShift));
  baseline = <f64>load<f32>(at + recordBaseline);
  fpart = baseline - Math.floor(baseline);
  return at + recordData;
}

/** 2^e exactly, as JavaScript's `2 ** e` (0 below the smallest subnormal, Infinity above the largest double). */
function powerOfTwo(e: i32): f64 {
  if (e > 1023) return Infinity;
  if (e >= -1022) return reinterpret<f64>(<i64>(e + 1023) << 52);
  if (e >= -1074) return reinterpret<f64>(<i64>1 << <i64>(e + 1074));
  return 0;
}

/** strax's saturation test for the record last read: its largest sample reaches int16(baseline). */
@inline function saturates(maxSample: f64): i32 {
  return maxSample * multiplier >= <f64>(<i32><i16>toInt32(baseline)) ? 1 : 0;
}

let lastSaturated: i32 = 0;

/**
 * The hit's samples in its own record that overlap the peak (hit samples hs…he from peak sample ps) added to the
 * waveforms; returns the hit's area and leaves whether the record saturates in lastSaturated.
 */
@inline function addHitFromRecord(hitStart: f64, hLength: i32, hs: i32, he: i32, ps: i32, r: i32, pe: f64, withTop: bool): f32 {
  const data = readRecordOverlap(hitStart, hLength, r);
  const k0 = overlapA0;
  const k1 = overlapA1;
  const j0 = overlapB0;
  lastSaturated = k1 > k0 ? saturates(<f64>largestSample(data + (<usize>j0 << 1), k1 - k0)) : 0;
  // The samples inside the hit's part of the peak: k in [a, b), sample j0 + k − k0, peak sample ps + k − hs.
  const a = max(k0, hs);
  const b = min(k1, he);
  if (a >= b) return 0;
  let from = data + (<usize>(j0 + a - k0) << 1);
  let q = <usize>(ps + a - hs) << 2;
  let area: f32 = 0;
  let k = a;
  // Four samples at a time, each lane rounded exactly as the scalar steps below (f64 product and sum, f32, f64
  // product, f32); the area is still added sample by sample, in order, as float32.
  const m = f64x2.splat(multiplier);
  const f = f64x2.splat(fpart);
  const g = f64x2.splat(pe);
  for (; k + 4 <= b; k += 4, from += 8, q += 16) {
    const x = i32x4.extend_low_i16x8_s(v128.load64_zero(from));
    const lo = f64x2.convert_low_i32x4_s(x);
    const hi = f64x2.convert_low_i32x4_s(v128.shuffle<i32>(x, x, 2, 3, 0, 1));
    const yLo = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(lo, m), f))), g));
    const yHi = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(hi, m), f))), g));
    const y = v128.shuffle<i64>(yLo, yHi, 0, 2);
    v128.store(sum + q, f32x4.add(v128.load(sum + q), y));
    if (withTop) v128.store(top + q, f32x4.add(v128.load(top + q), y));
    area += f32x4.extract_lane(y, 0);
    area += f32x4.extract_lane(y, 1);
    area += f32x4.extract_lane(y, 2);
    area += f32x4.extract_lane(y, 3);
  }
  for (; k < b; k++, from += 2, q += 4) {
    const y = <f32>(<f64><f32>(multiplier * <f64>load<i16>(from) + fpart) * pe);
    store<f32>(sum + q, load<f32>(sum + q) + y);
    if (withTop) store<f32>(top + q, load<f32>(top + q) + y);
    area += y;
  }
  return area;
}

/** The largest of the n (> 0) int16 samples at `at`, eight at a time. */
@inline function largestSample(at: usize, n: i32): i32 {
  let j = 0;
  let largest: i32 = -32768;
  if (n >= 8) {
    let m = v128.load(at);
    for (j = 8; j + 8 <= n; j += 8) m = i16x8.max_s(m, v128.load(at + (<usize>j << 1)));
    m = i16x8.max_s(m, v128.shuffle<i16>(m, m, 4, 5, 6, 7, 0, 1, 2, 3));
    m = i16x8.max_s(m, v128.shuffle<i16>(m, m, 2, 3, 0, 1, 4, 5, 6, 7));
    m = i16x8.max_s(m, v128.shuffle<i16>(m, m, 1, 0, 2, 3, 4, 5, 6, 7));
    largest = i16x8.extract_lane_s(m, 0);
  }
  for (; j < n; j++) largest = max(largest, <i32>load<i16>(at + (<usize>j << 1)));
  return largest;
}

/** The hit's samples in record r, `data·2^bit_shift + baseline % 1` (float32), into hitSamples; 1 if r saturates. */
function hitWaveform(hitStart: f64, hLength: i32, r: i32): i32 {
  const data = readRecordOverlap(hitStart, hLength, r);
  let max: f64 = -Infinity;
  for (let k = overlapA0, j = overlapB0; k < overlapA1; k++, j++) {
    const x = <f64>load<i16>(data + (<usize>j << 1));
    if (x > max) max = x;
    store<f32>(hitSamples + (<usize>k << 2), <f32>(multiplier * x + fpart));
  }
  return saturates(max);
}

/** Samples hs…he of hitSamples, times to_pe, added to the waveforms from peak sample ps; returns their area. */
function addHitToWaveform(hs: i32, he: i32, pe: f64, ps: i32, withTop: bool): f32 {
  let area: f32 = 0;
  for (let k = hs, q = ps; k < he; k++, q++) {
    const x = <f32>(<f64>load<f32>(hitSamples + (<usize>k << 2)) * pe);
    const at = <usize>q << 2;
    store<f32>(sum + at, load<f32>(sum + at) + x);
    if (withTop) store<f32>(top + at, load<f32>(top + at) + x);
    area += x;
  }
  return area;
}

/**
 * strax.store_downsampled_waveform: a peak longer than the waveform field is down-sampled by ceil(length / n) (the
 * tail that does not fill a whole block dropped, dt multiplied); data_start keeps the first n samples.
 */
function storeDownsampledWaveform(row: usize, storeTop: bool, storeStart: bool): void {
  const length = load<i32>(row + peakLength);
  const factor = Math.ceil(<f64>length / <f64>waveformSamples);
  const stored = factor > 1 ? Math.floor(<f64>length / factor) : <f64>length;
  if (storeTop) putDownsampled(row + peakDataTop, top, stored, factor);
  putDownsampled(row + peakData, sum, stored, factor);
  if (factor > 1) {
    store<i32>(row + peakLength, <i32>stored);
    store<i32>(row + peakDt, toInt32(<f64>load<i32>(row + peakDt) * factor));
  }
  if (storeStart) {
    const n = min(length, waveformSamples);
    for (let k = 0; k < n; k++) store<f32>(row + peakDataStart + (<usize>k << 2), load<f32>(sum + (<usize>k << 2)));
  }
}

function putDownsampled(field: usize, wf: usize, stored: f64, factor: f64): void {
  for (let k: f64 = 0; k < stored; k++) {
    let x: f32 = 0;
    for (let j = k * factor; j < (k + 1) * factor; j++) x += load<f32>(wf + (<usize><i64>j << 2));
    store<f32>(field + (<usize><i64>k << 2), x);
  }
}
