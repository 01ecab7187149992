// strax.find_hits: intervals of a record at or above the threshold, area and height with the baseline's fractional part.
import { hitDtype, recordDtype } from '../../dtype/standard.js';
import type { RecordLayout } from '../../dtype/layout.js';
import { growF64, growI32 } from '../packed.js';
import { fieldOffsets, viewOf, type FieldOffsets, type TimeBase } from './fields.js';
import type { RecordWindows } from './integration-bounds.js';

export const HIT = hitDtype();
export const HIT_AT = fieldOffsets(HIT, ['time', 'length', 'dt', 'channel', 'area', 'left', 'right', 'left_integration', 'right_integration', 'record_i', 'threshold', 'height', 'max_time']);
const REC_FIELDS = ['time', 'length', 'dt', 'channel', 'baseline', 'data'] as const;
type RecordOffsets = FieldOffsets<(typeof REC_FIELDS)[number]>;

/** Python's `x % 1` for a float (non-negative, also for negative x). */
export function fractionalPart(x: number): number {
  return x - Math.floor(x);
}

/** A record whose length is negative or longer than its data field (strax's find_hits asserts against these too). */
export class BadRecordLength extends Error {
  constructor(
    readonly record: number,
    readonly length: number,
    readonly samples: number,
  ) {
    super(`record ${record} has length ${length}, outside 0…${samples} (the samples its data field holds)`);
  }
}
Object.defineProperty(BadRecordLength.prototype, 'name', { value: 'BadRecordLength', enumerable: false });

/** Hit rows (12 int32 words each) in record order, and their (time, channel) sort keys. */
export interface FoundHits {
  words: Int32Array;
  keys: Float64Array;
  n: number;
}

/** Reusable output space for hit rows (12 int32 words each) and their (time, channel) sort keys. */
export class HitBuffer {
  words = new Int32Array(12 * 4096);
  keys = new Float64Array(4096);
  view = new DataView(this.words.buffer);

  reserve(n: number): void {
    if (this.keys.length >= n) return;
    this.keys = growF64(this.keys, n);
    this.words = growI32(this.words, 12 * this.keys.length);
    this.view = new DataView(this.words.buffer);
  }
}

/**
 * Hits in record order (unsorted, as strax returns them): a hit is a run of samples `x >= threshold` inside one record
 * (`right` exclusive, so hits end at record ends); `area = Σx + length·(baseline % 1)`, `height = max + baseline % 1`,
 * `max_time` the first sample reaching the maximum. Returns the number of hits written to `buf`; `keys[i]` is
 * `(time − base)·4096 + channel` for sorting. `threshold` is one value for all channels (strax's scalar min_amplitude).
 * With `windows`, left/right_integration are set as find_hit_integration_bounds sets them (inside the record).
 */
export function findHits(records: Uint8Array, layout: RecordLayout, threshold: number, base: TimeBase, buf: HitBuffer, windows?: RecordWindows): number {
  const at = fieldOffsets(layout, REC_FIELDS);
  const size = at.itemsize;
  const n = records.length / size;
  const samples = layout.field('data').count;
  const v = viewOf(records);
  buf.reserve(2 * n);
  let nh = 0;
  for (let i = 0, s = 0; i < n; i++, s += size) {
    const length = v.getInt32(s + at.length, true);
    if (length < 0 || length > samples) throw new BadRecordLength(i, length, samples);
    const d0 = s + at.data;
    let j = nextAtOrAbove(v, d0, 0, length, threshold);
    while (j < length) {
      const left = j;
      let sum = 0;
      let height = 0;
      let imax = j;
      for (; j < length; j++) {
        const x = v.getInt16(d0 + 2 * j, true);
        if (x < threshold) break;
        sum += x;
        if (x > height) {
          height = x;
          imax = j;
        }
      }
      if (nh === buf.keys.length) buf.reserve(nh + 1);
      found.left = left;
      found.right = j;
      found.sum = sum;
      found.height = height;
      found.imax = imax;
      found.threshold = threshold;
      found.record = i;
      writeHit(v, s, at, buf, nh, found, base, windows);
      nh++;
      j = nextAtOrAbove(v, d0, j, length, threshold);
    }
  }
  windows?.finish(buf.view);
  return nh;
}

/** First sample index ≥ `from` whose value reaches the threshold (or `length`), two samples per 32-bit read. */
function nextAtOrAbove(v: DataView, d0: number, from: number, length: number, threshold: number): number {
  let j = from;
  while (j + 1 < length) {
    const pair = v.getInt32(d0 + 2 * j, true);
    if (((pair << 16) >> 16) >= threshold) return j;
    if (pair >> 16 >= threshold) return j + 1;
    j += 2;
  }
  if (j < length && v.getInt16(d0 + 2 * j, true) >= threshold) return j;
  return length;
}

interface FoundHit {
  left: number;
  right: number;
  sum: number;
  height: number;
  imax: number;
  threshold: number;
  record: number;
}

/** The hit being written (one object reused: no allocation per hit). */
const found: FoundHit = { left: 0, right: 0, sum: 0, height: 0, imax: 0, threshold: 0, record: 0 };

function writeHit(v: DataView, s: number, at: RecordOffsets, buf: HitBuffer, k: number, h: FoundHit, base: TimeBase, windows: RecordWindows | undefined): void {
  const dt = v.getInt16(s + at.dt, true);
  const ch = v.getInt16(s + at.channel, true);
  const fpart = fractionalPart(v.getFloat32(s + at.baseline, true));
  const t0 = base.rel(v, s + at.time);
  const length = h.right - h.left;
  const o = k * HIT.itemsize;
  const w = buf.view;
  base.write(w, o + HIT_AT.time, t0 + h.left * dt);
  w.setInt32(o + HIT_AT.length, length, true);
  w.setInt16(o + HIT_AT.dt, dt, true);
  w.setInt16(o + HIT_AT.channel, ch, true);
  w.setFloat32(o + HIT_AT.area, h.sum + length * fpart, true);
  w.setInt16(o + HIT_AT.left, h.left, true);
  w.setInt16(o + HIT_AT.right, h.right, true);
  w.setInt16(o + HIT_AT.left_integration, 0, true);
  w.setInt16(o + HIT_AT.right_integration, 0, true);
  w.setInt32(o + HIT_AT.record_i, h.record, true);
  w.setFloat32(o + HIT_AT.threshold, h.threshold, true);
  w.setFloat32(o + HIT_AT.height, h.height + fpart, true);
  base.write(w, o + HIT_AT.max_time, t0 + h.imax * dt);
  buf.keys[k] = (t0 + h.left * dt) * 4096 + ch;
  windows?.add(w, o, ch, t0 + h.left * dt, t0 + h.right * dt, t0, t0 + v.getInt32(s + at.length, true) * dt, dt);
}

export const RECORD = recordDtype(110);
