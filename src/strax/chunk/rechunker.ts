// strax's Rechunker: concatenate incoming chunks and split them at gaps > 1000 ns near the target size (STRAX_FORMAT §8.1).
import type { RecordLayout } from '../dtype/layout.js';
import { timeReader } from './bounds.js';

/** A time range [start, end) and its packed rows. */
export interface Chunk {
  start: bigint;
  end: bigint;
  data: Uint8Array;
}

/** strax.DEFAULT_CHUNK_SPLIT_NS: only gaps longer than this may hold a chunk boundary. */
export const DEFAULT_CHUNK_SPLIT_NS = 1000;

/** `Rechunker.get_splits`: row indices where chunks start (always begins with 0). */
export function splitIndices(layout: RecordLayout, bytes: Uint8Array, targetSizeMb: number): number[] {
  const assumed = Math.floor((targetSizeMb * 1e6) / layout.itemsize);
  if (assumed <= 0) throw new RangeError(`rechunk: target ${targetSizeMb} MB is smaller than one ${layout.itemsize}-byte row`);
  const n = bytes.length / layout.itemsize;
  const r = timeReader(layout, bytes);
  const gaps: number[] = [];
  let maxEnd = n > 0 ? r.endtime(0) : 0n;
  for (let i = 0; i + 1 < n; i++) {
    const e = r.endtime(i);
    if (e > maxEnd) maxEnd = e;
    if (r.time(i + 1) - maxEnd > BigInt(DEFAULT_CHUNK_SPLIT_NS)) gaps.push(i + 1);
  }
  const splits = [0];
  if (gaps.length === 0) return splits;
  while (splits[splits.length - 1]! + assumed < gaps[gaps.length - 1]!) {
    const last = splits[splits.length - 1]!;
    const want = last + assumed;
    let best = -1;
    for (const g of gaps) {
      if (g <= last) continue; // only unused gaps, so the loop always advances
      if (best < 0 || Math.abs(g - want) < Math.abs(best - want)) best = g;
    }
    splits.push(best);
  }
  return splits;
}

/**
 * Re-split a stream of contiguous chunks to about `targetSizeMb` each, cutting only in gaps (strax.Rechunker).
 * While the cache holds no more rows than one target, no split index can exist (every gap index is below the row
 * count), so incoming chunks are only collected and concatenated once there are enough rows: the output is the
 * same as strax's, without re-concatenating and re-scanning the cache for every small input chunk.
 */
export class Rechunker {
  private parts: Chunk[] = [];
  private rows = 0;
  private readonly assumed: number;
  constructor(
    readonly layout: RecordLayout,
    readonly targetSizeMb: number,
  ) {
    this.assumed = Math.floor((targetSizeMb * 1e6) / layout.itemsize);
    if (this.assumed <= 0) throw new RangeError(`rechunk: target ${targetSizeMb} MB is smaller than one ${layout.itemsize}-byte row`);
  }

  receive(chunk: Chunk): Chunk[] {
    const last = this.parts[this.parts.length - 1];
    if (last && chunk.start !== last.end) throw new RangeError(`rechunk: chunk starting at ${chunk.start} does not follow the previous end ${last.end}`);
    this.parts.push(chunk);
    this.rows += chunk.data.length / this.layout.itemsize;
    if (this.rows <= this.assumed) return [];
    let c = this.joined();
    const size = this.layout.itemsize;
    const splits = splitIndices(this.layout, c.data, this.targetSizeMb);
    const out: Chunk[] = [];
    for (let k = 1; k < splits.length; k++) {
      const index = splits[k]! - splits[k - 1]!;
      const r = timeReader(this.layout, c.data);
      const t = r.time(index) - BigInt(DEFAULT_CHUNK_SPLIT_NS / 2);
      out.push({ start: c.start, end: t, data: c.data.subarray(0, index * size) });
      c = { start: t, end: c.end, data: c.data.subarray(index * size) };
    }
    this.parts = [c];
    this.rows = c.data.length / size;
    return out;
  }

  flush(): Chunk[] {
    const c = this.parts.length ? this.joined() : undefined;
    this.parts = [];
    this.rows = 0;
    return c ? [c] : [];
  }

  /** The cache as one chunk (a copy only when it has several parts). */
  private joined(): Chunk {
    const parts = this.parts;
    if (parts.length === 1) return parts[0]!;
    const data = new Uint8Array(parts.reduce((a, p) => a + p.data.length, 0));
    let at = 0;
    for (const p of parts) {
      data.set(p.data, at);
      at += p.data.length;
    }
    return { start: parts[0]!.start, end: parts[parts.length - 1]!.end, data };
  }
}

/** Async form: yields rechunked chunks as soon as they are complete. */
export async function* rechunk(source: AsyncIterable<Chunk>, layout: RecordLayout, targetSizeMb: number): AsyncGenerator<Chunk> {
  const r = new Rechunker(layout, targetSizeMb);
  for await (const c of source) yield* r.receive(c);
  yield* r.flush();
}
