import crypto from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { layoutOf } from '../../src/strax/storage/chunk-reader.js';
import { rowCount } from '../../src/strax/storage/dataset.js';
import { FIXTURES, manifest } from './fixtures.js';
import { fieldSums, rowValues } from './values.js';

describe('reading every fixture dataset', () => {
  for (const d of manifest.datasets) {
    it(`${d.name} is listed as ${d.complete ? 'complete' : 'crashed'} with ${d.n_chunks} chunks`, () => {
      const list = new DataDirectory(path.join(FIXTURES, d.root)).list();
      expect(list.map((x) => x.folderName)).toEqual([d.folder_name]);
      const ds = list[0]!;
      expect(ds.state).toBe(d.complete ? 'complete' : 'crashed');
      expect(ds.metadata!.chunks.map((c) => c.n)).toEqual(d.rows_per_chunk);
      expect(ds.metadata!.compressor).toBe(d.compressor);
      expect(ds.metadata!.lineage_hash).toBe(d.lineage_hash);
      expect(rowCount(ds)).toBe(d.rows_per_chunk.reduce((a, b) => a + b, 0));
    });

    if (!d.complete) {
      it(`${d.name} refuses to load and says it crashed`, async () => {
        const dir = new DataDirectory(path.join(FIXTURES, d.root));
        expect(() => dir.find(d.run_id, d.data_type)).toThrow(/crashed.*RuntimeError: Digitizer readout failed/);
        const ds = dir.list()[0]!;
        await expect(dir.readAll(ds)).rejects.toThrow(/not available/);
      });
      continue;
    }

    it(`${d.name} reads back exactly the MANIFEST values`, async () => {
      const dir = new DataDirectory(path.join(FIXTURES, d.root));
      const ds = dir.find(d.run_id, d.data_type, d.lineage_hash);
      const layout = layoutOf(ds);
      const seen: { n: number; start: bigint; end: bigint }[] = [];
      const parts: Uint8Array[] = [];
      for await (const c of dir.chunks(ds)) {
        seen.push({ n: c.n, start: c.start, end: c.end });
        const m = d.chunks![c.chunkIndex]!;
        expect(c.data.length).toBe(m.nbytes);
        if (c.n > 0) expect(crypto.createHash('sha256').update(c.data).digest('hex')).toBe(m.uncompressed_sha256);
        parts.push(c.data);
      }
      expect(seen).toEqual(d.chunks!.map((c) => ({ n: c.n, start: BigInt(c.start), end: BigInt(c.end) })));
      expect(ds.metadata!.start).toBe(BigInt(d.start!));
      expect(ds.metadata!.end).toBe(BigInt(d.end!));
      const all = new Uint8Array(Buffer.concat(parts));
      const e = d.expected;
      expect(all.length / layout.itemsize).toBe(e.total_rows);
      expect(crypto.createHash('sha256').update(all).digest('hex')).toBe(e.uncompressed_sha256_all_rows);
      const sums = fieldSums(layout, all);
      for (const [name, want] of Object.entries(e.field_sums!)) {
        const got = sums[name]!;
        if (typeof got === 'bigint') expect(got, name).toBe(BigInt(want));
        else expect(Math.abs(got - Number(want)), name).toBeLessThanOrEqual(Math.abs(Number(want)) * 1e-9 + 1e-9);
      }
      expect(String(sums.time)).toBe(e.sum_time);
      expect(rowValues(layout, all, 0)).toEqual(e.first_row);
      expect(rowValues(layout, all, e.total_rows! - 1)).toEqual(e.last_row);
    });
  }

  it('reads the empty chunk as n = 0 without opening a file', async () => {
    const dir = new DataDirectory(path.join(FIXTURES, 'records_empty_chunk_lz4'));
    const chunks = [];
    for await (const c of dir.chunks(dir.find('012346', 'records'))) chunks.push(c);
    expect(chunks.map((c) => [c.n, c.data.length])).toEqual([[150, 38550], [0, 0], [250, 64250]]);
    expect(chunks[1]!.start).toBe(chunks[0]!.end);
    expect(chunks[2]!.start).toBe(chunks[1]!.end);
  });

  it('reads run-level metadata with $date as Date and the name key', () => {
    const md = new DataDirectory(path.join(FIXTURES, 'records_blosc')).readRunMetadata('012345');
    expect(md.name).toBe('012345');
    expect(md.start).toEqual(new Date(1712345678901));
    expect((md.end as Date).toISOString()).toBe('2024-04-05T19:34:39.000Z');
    expect(md.number).toBe(12345n);
  });
});
