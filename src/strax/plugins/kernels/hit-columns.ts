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

/** The columns of sorted hits; with `clip`, rows are first clipped to [start, end) as straxen clips hitlets. */
export function hitColumns(hits: Uint8Array, base: TimeBase, clip?: { start: number; end: number }): HitColumns {
  const n = hits.length / HIT.itemsize;
  const hv = viewOf(hits);
  const c: HitColumns = {
    time: new Float64Array(n), end: new Float64Array(n), length: new Int32Array(n), record: new Int32Array(n),
    leftIntegration: new Int16Array(n), rightIntegration: new Int16Array(n), channel: new Int16Array(n), maxLength: 0,
  };
  for (let i = 0, h = 0; i < n; i++, h += HIT.itemsize) {
    const dt = hv.getInt16(h + HIT_AT.dt, true);
    let t = base.rel(hv, h + HIT_AT.time);
    let length = hv.getInt32(h + HIT_AT.length, true);
    if (clip && t < clip.start) base.write(hv, h + HIT_AT.time, (t = clip.start));
    if (clip && t + length * dt > clip.end) hv.setInt32(h + HIT_AT.length, (length = Math.floor((clip.end - t) / dt)), true);
    c.time[i] = t;
    c.length[i] = length;
    c.end[i] = t + length * dt;
    c.record[i] = hv.getInt32(h + HIT_AT.record_i, true);
    c.leftIntegration[i] = hv.getInt16(h + HIT_AT.left_integration, true);
    c.rightIntegration[i] = hv.getInt16(h + HIT_AT.right_integration, true);
    c.channel[i] = hv.getInt16(h + HIT_AT.channel, true);
    c.maxLength = Math.max(c.maxLength, c.length[i]!);
  }
  return c;
}
