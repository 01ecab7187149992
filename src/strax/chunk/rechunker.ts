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

function concat(a: Chunk, b: Chunk): Chunk {
  if (b.start !== a.end) throw new RangeError(`rechunk: chunk starting at ${b.start} does not follow the previous end ${a.end}`);
  const data = new Uint8Array(a.data.length + b.data.length);
  data.set(a.data, 0);
  data.set(b.data, a.data.length);
  return { start: a.start, end: b.end, data };
}

/** Re-split a stream of contiguous chunks to about `targetSizeMb` each, cutting only in gaps (strax.Rechunker). */
export class Rechunker {
  private cache: Chunk | undefined;
  constructor(
    readonly layout: RecordLayout,
    readonly targetSizeMb: number,
  ) {}

  receive(chunk: Chunk): Chunk[] {
    let c = this.cache ? concat(this.cache, chunk) : chunk;
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
    this.cache = c;
    return out;
  }

  flush(): Chunk[] {
    const c = this.cache;
    this.cache = undefined;
    return c ? [c] : [];
  }
}

/** Async form: yields rechunked chunks as soon as they are complete. */
export async function* rechunk(source: AsyncIterable<Chunk>, layout: RecordLayout, targetSizeMb: number): AsyncGenerator<Chunk> {
  const r = new Rechunker(layout, targetSizeMb);
  for await (const c of source) yield* r.receive(c);
  yield* r.flush();
}
