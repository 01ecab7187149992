import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareShallow, rowsDigest } from '../../src/stages/rechunk/verify.js';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { makeTmpDir } from '../support/tmp.js';
import { writeDaqflowDataset } from './rechunk-helpers.js';

describe('rechunk verification', () => {
  it('the shallow check names missing rows, a shifted time range, a gap between chunks and a missing chunk file', async () => {
    const root = makeTmpDir();
    await writeDaqflowDataset(root, { runId: '000001', dataType: 'records', rows: 300, rowsPerChunk: 100 });
    const ds = new DataDirectory(root).list()[0]!;
    const source = ds.metadata!;
    expect(compareShallow(source, source, ds.path)).toEqual([]);
    const copy = structuredClone(source);
    copy.chunks[2]!.n -= 1;
    copy.chunks[2]!.nbytes -= 257;
    copy.chunks[1]!.start += 1n;
    copy.chunks[2]!.end += 5n;
    fs.rmSync(path.join(ds.path, copy.chunks[0]!.filename!));
    const problems = compareShallow(source, copy, ds.path);
    expect(problems).toEqual([
      '299 rows, the source has 300',
      '76843 bytes of rows, the source has 77100',
      `covers [${source.chunks[0]!.start}, ${source.chunks[2]!.end + 5n}), the source [${source.chunks[0]!.start}, ${source.chunks[2]!.end})`,
      `chunk file ${copy.chunks[0]!.filename} is missing`,
      `chunk 1 starts at ${copy.chunks[1]!.start}, chunk 0 ended at ${copy.chunks[0]!.end}`,
    ]);
  });

  it('the deep check tells datasets apart that differ in one byte of one row', async () => {
    const a = makeTmpDir();
    const b = makeTmpDir();
    await writeDaqflowDataset(a, { runId: '000001', dataType: 'records', rows: 300, rowsPerChunk: 100, seed: 5 });
    await writeDaqflowDataset(b, { runId: '000001', dataType: 'records', rows: 300, rowsPerChunk: 100, seed: 5 });
    const [da, db] = [new DataDirectory(a).list()[0]!, new DataDirectory(b).list()[0]!];
    expect(await rowsDigest(da)).toBe(await rowsDigest(db));
    // Same counts and times, one bit of a row's waveform (data, offset 37+) flipped: only the deep check sees it.
    const rewritten = makeTmpDir();
    const saver = await new DataDirectory(rewritten).save({ runId: '000001', dataType: 'records', dtype: da.metadata!.dtype, lineage: da.metadata!.lineage!, compressor: 'lz4' });
    for await (const chunk of new DataDirectory(a).chunks(da)) {
      const data = new Uint8Array(chunk.data);
      if (chunk.chunkIndex === 1) data[40] ^= 1;
      await saver.save({ start: chunk.start, end: chunk.end, data });
    }
    await saver.close();
    const dc = new DataDirectory(rewritten).list()[0]!;
    expect(compareShallow(da.metadata!, dc.metadata!, dc.path)).toEqual([]);
    expect(await rowsDigest(dc)).not.toBe(await rowsDigest(da));
  });
});
