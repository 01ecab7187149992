// strax's Rechunker: concatenate incoming chunks and split them at gaps > 1000 ns near the target size (STRAX_FORMAT §8.1).
import type { RecordLayout } from '../dtype/layout.js';
import { timeReader } from './bounds.js';

/** A time range [start, end) and its packed rows. */
export interface Chunk {
  start: bigint;
  end: bigint;
  data: Uint8Array;
}

/** A time range [start, end) whose rows are the concatenation of `parts` (views; nothing copied). */
export interface PartsChunk {
  start: bigint;
  end: bigint;
  parts: Uint8Array[];
}

/** strax.DEFAULT_CHUNK_SPLIT_NS: only gaps longer than this may hold a chunk boundary. */
export const DEFAULT_CHUNK_SPLIT_NS = 1000;

function assumedRows(layout: RecordLayout, targetSizeMb: number): number {
  const assumed = Math.floor((targetSizeMb * 1e6) / layout.itemsize);
  if (assumed <= 0) throw new RangeError(`rechunk: target ${targetSizeMb} MB is smaller than one ${layout.itemsize}-byte row`);
  return assumed;
}

/** Row indices i+1 where time[i+1] − max(endtime[0..i]) > 1000 ns, over the rows of `parts` in order. */
function gapIndices(layout: RecordLayout, parts: readonly Uint8Array[]): number[] {
  const gaps: number[] = [];
  let maxEnd: bigint | undefined;
  let index = 0;
  for (const part of parts) {
    const r = timeReader(layout, part);
    const n = part.length / layout.itemsize;
    for (let i = 0; i < n; i++, index++) {
      if (maxEnd !== undefined && r.time(i) - maxEnd > BigInt(DEFAULT_CHUNK_SPLIT_NS)) gaps.push(index);
      const e = r.endtime(i);
      if (maxEnd === undefined || e > maxEnd) maxEnd = e;
    }
  }
  return gaps;
}

/** `Rechunker.get_splits` from the gap indices: from 0, the unused gap closest to each previous split + assumed rows. */
function chooseSplits(gaps: readonly number[], assumed: number): number[] {
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

/** `Rechunker.get_splits`: row indices where chunks start (always begins with 0). */
export function splitIndices(layout: RecordLayout, bytes: Uint8Array, targetSizeMb: number): number[] {
  return chooseSplits(gapIndices(layout, [bytes]), assumedRows(layout, targetSizeMb));
}

/** Cut `parts` after `rows` rows: the left parts and the right parts (the part holding the cut becomes two views). */
function cutParts(parts: readonly Uint8Array[], rows: number, itemsize: number): [Uint8Array[], Uint8Array[]] {
  let bytes = rows * itemsize;
  const left: Uint8Array[] = [];
  let k = 0;
  for (; k < parts.length && bytes >= parts[k]!.length; k++) {
    left.push(parts[k]!);
    bytes -= parts[k]!.length;
  }
  const right = parts.slice(k);
  if (bytes > 0) {
    left.push(right[0]!.subarray(0, bytes));
    right[0] = right[0]!.subarray(bytes);
  }
  return [left, right.filter((p) => p.length > 0)];
}

/**
 * strax's Rechunker on chunks kept as lists of parts: nothing is concatenated, so a rechunked chunk costs its rows
 * once. While the cache holds no more rows than one target no split index can exist (every gap index is below the
 * row count), so the gaps are only looked for once there are enough rows: the same boundaries as strax's, without
 * re-scanning the cache for every small input chunk.
 */
export class PartsRechunker {
  private cache: PartsChunk | undefined;
  private rows = 0;
  private readonly assumed: number;
  constructor(
    readonly layout: RecordLayout,
    readonly targetSizeMb: number,
  ) {
    this.assumed = assumedRows(layout, targetSizeMb);
  }

  receive(chunk: Chunk | PartsChunk): PartsChunk[] {
    const parts = 'data' in chunk ? [chunk.data] : chunk.parts;
    const c = this.cache;
    if (c && chunk.start !== c.end) throw new RangeError(`rechunk: chunk starting at ${chunk.start} does not follow the previous end ${c.end}`);
    this.cache = { start: c?.start ?? chunk.start, end: chunk.end, parts: [...(c?.parts ?? []), ...parts.filter((p) => p.length > 0)] };
    this.rows += parts.reduce((a, p) => a + p.length, 0) / this.layout.itemsize;
    if (this.rows <= this.assumed) return [];
    const size = this.layout.itemsize;
    let rest = this.cache;
    const splits = chooseSplits(gapIndices(this.layout, rest.parts), this.assumed);
    const out: PartsChunk[] = [];
    for (let k = 1; k < splits.length; k++) {
      const [left, right] = cutParts(rest.parts, splits[k]! - splits[k - 1]!, size);
      const t = timeReader(this.layout, right[0]!).time(0) - BigInt(DEFAULT_CHUNK_SPLIT_NS / 2);
      out.push({ start: rest.start, end: t, parts: left });
      rest = { start: t, end: rest.end, parts: right };
    }
    this.cache = rest;
    this.rows = rest.parts.reduce((a, p) => a + p.length, 0) / size;
    return out;
  }

  flush(): PartsChunk[] {
    const c = this.cache;
    this.cache = undefined;
    this.rows = 0;
    return c ? [c] : [];
  }
}

/** One buffer with the parts' rows (the part itself when there is only one). */
export function joinParts(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const data = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return data;
}

/** Re-split a stream of contiguous chunks to about `targetSizeMb` each, cutting only in gaps (strax.Rechunker). */
export class Rechunker {
  private readonly inner: PartsRechunker;
  constructor(
    readonly layout: RecordLayout,
    readonly targetSizeMb: number,
  ) {
    this.inner = new PartsRechunker(layout, targetSizeMb);
  }

  receive(chunk: Chunk): Chunk[] {
    return this.inner.receive(chunk).map(joined);
  }

  flush(): Chunk[] {
    return this.inner.flush().map(joined);
  }
}

const joined = (c: PartsChunk): Chunk => ({ start: c.start, end: c.end, data: joinParts(c.parts) });

/** Async form: yields rechunked chunks as soon as they are complete. */
export async function* rechunk(source: AsyncIterable<Chunk>, layout: RecordLayout, targetSizeMb: number): AsyncGenerator<Chunk> {
  const r = new Rechunker(layout, targetSizeMb);
  for await (const c of source) yield* r.receive(c);
  yield* r.flush();
}

/** Async form on parts: yields rechunked chunks as lists of the input's rows (no concatenation). */
export async function* rechunkParts(source: AsyncIterable<Chunk>, layout: RecordLayout, targetSizeMb: number): AsyncGenerator<PartsChunk> {
  const r = new PartsRechunker(layout, targetSizeMb);
  for await (const c of source) yield* r.receive(c);
  yield* r.flush();
}
