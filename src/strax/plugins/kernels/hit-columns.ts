// The fields of sorted hits (or hitlets) that summing and counting read, as typed arrays, read once per chunk.
import { viewOf, type TimeBase } from './fields.js';
import { HIT, HIT_AT } from './find-hits.js';

/** The fields of sorted hits that summing reads, as typed arrays (times relative to the base). */
export interface HitColumns {
  time: Float64Array;
  end: Float64Array;
  length: Int32Array;
  record: Int32Array;
  leftIntegration: Int16Array;
  rightIntegration: Int16Array;
  channel: Int16Array;
  maxLength: number;
}

/** Columns for n hits, zero-filled. */
export function emptyHitColumns(n: number): HitColumns {
  return {
    time: new Float64Array(n), end: new Float64Array(n), length: new Int32Array(n), record: new Int32Array(n),
    leftIntegration: new Int16Array(n), rightIntegration: new Int16Array(n), channel: new Int16Array(n), maxLength: 0,
  };
}

/** Row k of the columns: the hit whose row starts at byte h of hv, with the time and length it is summed with. */
export function setHitColumn(c: HitColumns, k: number, hv: DataView, h: number, time: number, length: number): void {
  c.time[k] = time;
  c.length[k] = length;
  c.end[k] = time + length * hv.getInt16(h + HIT_AT.dt, true);
  c.record[k] = hv.getInt32(h + HIT_AT.record_i, true);
  c.leftIntegration[k] = hv.getInt16(h + HIT_AT.left_integration, true);
  c.rightIntegration[k] = hv.getInt16(h + HIT_AT.right_integration, true);
  c.channel[k] = hv.getInt16(h + HIT_AT.channel, true);
  if (length > c.maxLength) c.maxLength = length;
}

/** The columns of sorted hit rows. */
export function hitColumns(hits: Uint8Array, base: TimeBase): HitColumns {
  const n = hits.length / HIT.itemsize;
  const hv = viewOf(hits);
  const c = emptyHitColumns(n);
  for (let i = 0, h = 0; i < n; i++, h += HIT.itemsize) setHitColumn(c, i, hv, h, base.rel(hv, h + HIT_AT.time), hv.getInt32(h + HIT_AT.length, true));
  return c;
}
