// readChunks with the server's reused buffers: compressed files read into a shared pool (given back once decoded) and
// lz4 chunks decoded in place into LZ4 decode buffers give the rows a plain read gives, dataset after dataset.
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/util/buffer-pool.js';
import { lz4DecodeBuffer } from '../../src/strax/compress/lz4-into.js';
import { hitDtype, recordDtype } from '../../src/strax/dtype/standard.js';
import type { RecordLayout } from '../../src/strax/dtype/layout.js';
import { readAllRows, readChunks } from '../../src/strax/storage/chunk-reader.js';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { makeTmpDir } from '../support/tmp.js';
import { synthRows } from './synth.js';

const T0 = 1712345678901234560n;

async function store(root: string, dataType: string, layout: RecordLayout, compressor: 'lz4' | 'zstd' | 'blosc', rows: Uint8Array, chunks: number): Promise<void> {
  const saver = await new DataDirectory(root).save({ runId: '000042', dataType, dtype: layout, lineage: { [dataType]: ['Test', '0', {}] }, compressor });
  const n = rows.length / layout.itemsize;
  const per = Math.ceil(n / chunks);
  for (let i = 0; i < n; i += per) {
    const end = Math.min(n, i + per);
    // synthRows spaces rows 2000 ns apart (+ < 100 ns jitter, < 1000 ns long): chunk bounds between them hold every row.
    await saver.save({ start: T0 + BigInt(i * 2000), end: T0 + BigInt(end * 2000), data: rows.subarray(i * layout.itemsize, end * layout.itemsize) });
  }
  await saver.close();
}

/** A pool that counts what it hands out and gets back. */
function countingPool(allocate?: (bytes: number) => Uint8Array) {
  const pool = new BufferPool(64e6, allocate);
  const counts = { taken: 0, given: 0, fresh: new Set<ArrayBufferLike>() };
  return {
    counts,
    take(bytes: number) {
      counts.taken++;
      const b = pool.take(bytes);
      counts.fresh.add(b.buffer);
      return b;
    },
    give(b: Uint8Array) {
      counts.given++;
      pool.give(b);
    },
  };
}

describe('readChunks with shared buffers', () => {
  const root = makeTmpDir();
  const cases = [
    { type: 'hits', layout: hitDtype(), compressor: 'lz4' as const, rows: synthRows(hitDtype(), 30_000, 1) },
    { type: 'records', layout: recordDtype(), compressor: 'lz4' as const, rows: synthRows(recordDtype(), 4_000, 2) },
    { type: 'records_zstd', layout: recordDtype(), compressor: 'zstd' as const, rows: synthRows(recordDtype(), 3_000, 3) },
  ];

  it('reads every chunk to the same rows, gives every file buffer back, and reuses them for the next dataset', async () => {
    for (const c of cases) await store(root, c.type, c.layout, c.compressor, c.rows, 6);
    const frames = countingPool();
    const decoded = countingPool(lz4DecodeBuffer);
    const dir = new DataDirectory(root);
    let made: number[] = [];
    for (const round of [0, 1]) {
      for (const c of cases) {
        const ds = dir.find('000042', c.type);
        const parts: Uint8Array[] = [];
        for await (const chunk of readChunks(ds, { frameBuffers: frames, decodeInto: (bytes) => decoded.take(bytes) })) {
          parts.push(Uint8Array.from(chunk.data)); // a copy: the consumer gives the buffer back before the next chunk
          decoded.give(chunk.data);
        }
        expect(Buffer.compare(Buffer.concat(parts), c.rows)).toBe(0);
        expect(Buffer.compare(Buffer.concat(parts), await readAllRows(ds))).toBe(0);
      }
      expect(frames.counts.given).toBe(frames.counts.taken); // every file buffer came back
      if (round === 0) {
        expect(decoded.counts.taken).toBe(18); // lz4 and zstd decode into the given buffers
        expect(frames.counts.taken).toBe(18);
        made = [frames.counts.fresh.size, decoded.counts.fresh.size];
      }
    }
    // The second round of the same datasets makes no buffer: every one comes from the pools.
    expect([frames.counts.fresh.size, decoded.counts.fresh.size]).toEqual(made);
    expect(made[0]).toBeLessThan(18);
    expect(made[1]).toBeLessThan(18);
  });
});
