// strax.record_links: the previous and next record of the same pulse (-1 where there is none in this array).
import type { RecordLayout } from '../../dtype/layout.js';
import { fieldOffsets, viewOf, type TimeBase } from './fields.js';

export interface RecordLinks {
  prev: Int32Array;
  next: Int32Array;
}

/** Record i continues the last earlier record j of its channel when its record_i ≠ 0 and time = j.time + samples·dt. */
export function recordLinks(records: Uint8Array, layout: RecordLayout, base: TimeBase): RecordLinks {
  const at = fieldOffsets(layout, ['time', 'dt', 'channel', 'record_i']);
  const samples = layout.field('data').count;
  const n = records.length / layout.itemsize;
  const v = viewOf(records);
  const prev = new Int32Array(n).fill(-1);
  const next = new Int32Array(n).fill(-1);
  const lastOfChannel = new Int32Array(65536).fill(-1); // by channel + 32768
  for (let i = 0, o = 0; i < n; i++, o += layout.itemsize) {
    const ch = v.getInt16(o + at.channel, true) + 32768;
    const j = lastOfChannel[ch]!;
    lastOfChannel[ch] = i;
    if (j < 0 || v.getInt16(o + at.record_i, true) === 0) continue;
    const jo = j * layout.itemsize;
    if (base.rel(v, o + at.time) !== base.rel(v, jo + at.time) + samples * v.getInt16(jo + at.dt, true)) continue;
    prev[i] = j;
    next[j] = i;
  }
  return { prev, next };
}
