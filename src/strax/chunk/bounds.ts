// Time facts of a chunk's rows: first/last time and endtime, and strax's Chunk invariants (time >= start, endtime <= end).
import type { RecordLayout } from '../dtype/layout.js';

export interface RowTimes {
  first_time: bigint;
  first_endtime: bigint;
  last_time: bigint;
  last_endtime: bigint;
}

/** Reads `time` and the endtime (explicit `endtime` field, or time + length × dt) of row i. */
export function timeReader(layout: RecordLayout, bytes: Uint8Array): { time(i: number): bigint; endtime(i: number): bigint } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = layout.itemsize;
  const tOff = layout.field('time').offset;
  const time = (i: number) => view.getBigInt64(i * size + tOff, true);
  if (layout.has('endtime')) {
    const eOff = layout.field('endtime').offset;
    return { time, endtime: (i) => view.getBigInt64(i * size + eOff, true) };
  }
  const len = layout.field('length');
  const dt = layout.field('dt');
  const readInt = (off: number, bytesPer: number) =>
    bytesPer === 2 ? (i: number) => view.getInt16(i * size + off, true) : bytesPer === 4 ? (i: number) => view.getInt32(i * size + off, true) : (i: number) => Number(view.getBigInt64(i * size + off, true));
  const getLen = readInt(len.offset, len.elementSize);
  const getDt = readInt(dt.offset, dt.elementSize);
  return { time, endtime: (i) => time(i) + BigInt(getLen(i) * getDt(i)) };
}

export function hasTimeFields(layout: RecordLayout): boolean {
  return layout.has('time') && (layout.has('endtime') || (layout.has('length') && layout.has('dt')));
}

/** first/last time and endtime of rows 0 and n-1, as strax stores them per chunk. */
export function rowTimes(layout: RecordLayout, bytes: Uint8Array): RowTimes | undefined {
  const n = bytes.length / layout.itemsize;
  if (n === 0 || !hasTimeFields(layout)) return undefined;
  const r = timeReader(layout, bytes);
  return { first_time: r.time(0), first_endtime: r.endtime(0), last_time: r.time(n - 1), last_endtime: r.endtime(n - 1) };
}

/**
 * Problems with rows against the chunk's [start, end): strax checks time[0] >= start and the max endtime of the last
 * 500 rows <= end; `allRows` checks every row (and sortedness) instead.
 */
export function boundsProblems(layout: RecordLayout, bytes: Uint8Array, start: bigint, end: bigint, allRows = false): string[] {
  const n = bytes.length / layout.itemsize;
  if (n === 0 || !hasTimeFields(layout)) return [];
  const r = timeReader(layout, bytes);
  const problems: string[] = [];
  if (r.time(0) < start) problems.push(`row 0 time ${r.time(0)} is before the chunk start ${start}`);
  let maxEnd = -(2n ** 63n);
  let maxAt = -1;
  let unsorted = -1;
  for (let i = allRows ? 0 : Math.max(0, n - 500); i < n; i++) {
    const e = r.endtime(i);
    if (e > maxEnd) [maxEnd, maxAt] = [e, i];
    if (allRows && unsorted < 0 && i > 0 && r.time(i) < r.time(i - 1)) unsorted = i;
    if (allRows && r.time(i) < start && i > 0 && problems.length < 5) problems.push(`row ${i} time ${r.time(i)} is before the chunk start ${start}`);
  }
  if (maxEnd > end) problems.push(`row ${maxAt} ends at ${maxEnd}, after the chunk end ${end}`);
  if (unsorted >= 0) problems.push(`rows are not sorted by time (row ${unsorted})`);
  return problems;
}
