// SegmentSlicer: segments of a stored chunk stream are views into the decoded chunk; a segment that spans chunks is a
// copy of exactly its own rows; the rows handed out, in order, are the stream's rows.
import { describe, expect, it } from 'vitest';
import { hitDtype } from '../../src/strax/dtype/standard.js';
import { SegmentSlicer } from '../../src/strax/engine/segments.js';
import type { ChunkData } from '../../src/strax/storage/chunk-reader.js';

const HIT = hitDtype();

/** Rows whose only set field is time (and a marker byte after it), sorted by time. */
function rows(times: number[]): Uint8Array {
  const out = new Uint8Array(times.length * HIT.itemsize);
  const v = new DataView(out.buffer);
  times.forEach((t, i) => {
    v.setBigInt64(i * HIT.itemsize, BigInt(t), true);
    out[i * HIT.itemsize + 8] = t % 251;
  });
  return out;
}

function timesOf(data: Uint8Array): number[] {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return Array.from({ length: data.length / HIT.itemsize }, (_, i) => Number(v.getBigInt64(i * HIT.itemsize, true)));
}

/** Contiguous chunks, each ending right after its last row (or where the previous one ended), as readChunks gives. */
async function* stream(chunks: number[][], read: number[] = []): AsyncGenerator<ChunkData> {
  let start = 0n;
  for (const [i, c] of chunks.entries()) {
    const end = c.length > 0 ? BigInt(c[c.length - 1]! + 1) : start;
    read.push(i);
    yield { chunkIndex: i, start, end, n: c.length, data: rows(c) };
    start = end;
  }
}

describe('SegmentSlicer', () => {
  it('hands out views inside a chunk and an exact copy across chunks', async () => {
    const chunks = [[1, 2, 3, 10, 11], [], [12, 20, 21], [22], [30, 31, 40]];
    const slicer = new SegmentSlicer(stream(chunks)[Symbol.asyncIterator](), HIT);
    const got: Uint8Array[] = [];
    for (const end of [3n, 12n, 22n, 23n, 30n, 100n, 200n]) got.push(await slicer.take(end));
    expect(got.map(timesOf)).toEqual([[1, 2], [3, 10, 11], [12, 20, 21], [22], [], [30, 31, 40], []]);
    // [1, 2] and [3, 10, 11] share the first chunk's buffer, one after the other.
    expect(got[0]!.buffer).toBe(got[1]!.buffer);
    expect(got[0]!.byteOffset + got[0]!.length).toBe(got[1]!.byteOffset);
    // The marker bytes travel with the rows, copied or not.
    for (const g of got) for (const [i, t] of timesOf(g).entries()) expect(g[i * HIT.itemsize + 8]).toBe(t % 251);
  });

  it('reads no chunk beyond the one whose end reaches the segment end', async () => {
    const read: number[] = [];
    const slicer = new SegmentSlicer(stream([[1, 2], [3, 4], [5, 6], [7]], read)[Symbol.asyncIterator](), HIT);
    expect(timesOf(await slicer.take(3n))).toEqual([1, 2]);
    expect(read).toEqual([0]);
    expect(timesOf(await slicer.take(5n))).toEqual([3, 4]);
    expect(read).toEqual([0, 1]);
    // An end inside a chunk: that chunk is read, and no further.
    expect(timesOf(await slicer.take(6n))).toEqual([5]);
    expect(read).toEqual([0, 1, 2]);
    expect(timesOf(await slicer.take(100n))).toEqual([6, 7]);
  });

  it('copies a segment that spans three chunks and only its rows', async () => {
    const slicer = new SegmentSlicer(stream([[1, 2], [3], [4, 5, 6]])[Symbol.asyncIterator](), HIT);
    const first = await slicer.take(5n);
    expect(timesOf(first)).toEqual([1, 2, 3, 4]);
    expect(first.byteLength).toBe(first.buffer.byteLength);
    expect(timesOf(await slicer.take(7n))).toEqual([5, 6]);
  });
});
