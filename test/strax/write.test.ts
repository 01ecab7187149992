import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { layoutOf } from '../../src/strax/storage/chunk-reader.js';
import { serializeMetadata } from '../../src/strax/storage/metadata.js';
import { rechunk } from '../../src/strax/chunk/rechunker.js';
import { recordDtype } from '../../src/strax/dtype/standard.js';
import { isCompressorName } from '../../src/strax/compress/index.js';
import { copyFixture, dataset, manifest, tempDir } from './fixtures.js';
import { synthRows } from './synth.js';

/**
 * Metadata text with the values a re-write legitimately changes blanked out: writing times, and compressed sizes
 * unless `keepSizes` (blosc frames are byte-identical to strax's; zstd/lz4/bz2 libraries differ from strax's).
 */
function normalise(text: string, keepSizes = false): string {
  const t = text.replace(/"writing_(started|ended)": [0-9.e+-]+/g, '"writing_$1": T');
  return keepSizes ? t : t.replace(/"filesize": \d+/g, '"filesize": S');
}

describe('writing datasets', () => {
  for (const d of manifest.datasets.filter((x) => x.complete)) {
    const exact = d.compressor === 'blosc';
    it(`re-writing ${d.name} with ${d.compressor} gives the same metadata apart from writing times${exact ? ', and the same chunk files' : ' and file sizes'}`, async () => {
      const out = tempDir();
      const src = new DataDirectory(copyFixture(d.root));
      const ds = src.find(d.run_id, d.data_type);
      const md = ds.metadata!;
      if (!isCompressorName(md.compressor)) throw new Error('bad fixture');
      const saver = await new DataDirectory(out).save(
        {
          runId: md.run_id, dataType: md.data_type, dataKind: md.data_kind, dtype: md.dtype, lineage: md.lineage!,
          compressor: md.compressor, chunkTargetSizeMb: md.chunk_target_size_mb, extra: md.extra,
        },
        { omitFilesize: md.chunks.some((c) => c.n > 0 && c.filesize === undefined) },
      );
      for await (const c of src.chunks(ds)) await saver.save(c);
      const written = await saver.close();
      const text = fs.readFileSync(path.join(out, d.folder_name, path.basename(d.metadata_file)), 'utf8');
      expect(text).toBe(serializeMetadata(written));
      expect(normalise(text, exact)).toBe(normalise(fs.readFileSync(ds.metadataPath!, 'utf8'), exact));
      for (const c of written.chunks) {
        if (c.filesize !== undefined) expect(fs.statSync(path.join(out, d.folder_name, c.filename!)).size).toBe(c.filesize);
        if (exact && c.n > 0) {
          const ours = fs.readFileSync(path.join(out, d.folder_name, c.filename!));
          expect(ours.equals(fs.readFileSync(path.join(path.dirname(ds.metadataPath!), c.filename!)))).toBe(true);
        }
      }
      // and the rows read back identical
      const again = new DataDirectory(out);
      expect(await again.readAll(again.find(d.run_id, d.data_type))).toEqual(await src.readAll(ds));
      expect(fs.existsSync(path.join(out, `${d.folder_name}_temp`))).toBe(false);
    });
  }

  it('rechunking records_lz4 at the fixture target gives the boundaries strax.rechunker chose', async () => {
    const serial = dataset('records_rechunked_zstd_serial');
    const src = new DataDirectory(copyFixture('records_lz4'));
    const ds = src.find('012345', 'records');
    const out = tempDir();
    const md = ds.metadata!;
    const saver = await new DataDirectory(out).save({
      runId: md.run_id, dataType: md.data_type, dtype: md.dtype, lineage: md.lineage!, compressor: 'zstd', chunkTargetSizeMb: 0.15,
    });
    for await (const c of rechunk(src.chunks(ds), layoutOf(ds), 0.15)) await saver.save(c);
    const written = await saver.close();
    expect(written.chunks.map((c) => c.n)).toEqual([582, 320]);
    expect(written.chunks.map((c) => [String(c.start), String(c.end)])).toEqual(serial.chunks!.map((c) => [c.start, c.end]));
    const text = fs.readFileSync(path.join(out, serial.folder_name, path.basename(serial.metadata_file)), 'utf8');
    expect(normalise(text)).toBe(normalise(fs.readFileSync(path.join(copyFixture(serial.root), '..', serial.metadata_file), 'utf8')));
  });

  it('writes an empty chunk as an n = 0 entry with no file', async () => {
    const layout = recordDtype();
    const out = tempDir();
    const saver = await new DataDirectory(out).save({ runId: '000900', dataType: 'records', dtype: layout, lineage: { records: ['R', '0.0.1', {}] }, compressor: 'lz4' });
    const t0 = 1712345678901234560n;
    await saver.save({ start: t0, end: t0 + 1_000_000n, data: synthRows(layout, 100, 1, t0 + 10n, 5000) });
    await saver.save({ start: t0 + 1_000_000n, end: t0 + 2_000_000n, data: new Uint8Array(0) });
    const md = await saver.close();
    expect(md.chunks[1]).toEqual({ chunk_i: 1, n: 0, nbytes: 0, start: t0 + 1_000_000n, end: t0 + 2_000_000n, run_id: '000900', subruns: null });
    expect(fs.readdirSync(path.join(out, `000900-records-${md.lineage_hash}`)).sort()).toEqual([`records-${md.lineage_hash}-000000`, `records-${md.lineage_hash}-metadata.json`]);
    expect(md.strax_version).toBe('2.2.3');
  });

  it('follows the overwrite rules never, if_broken and always', async () => {
    const root = copyFixture();
    const dir = new DataDirectory(path.join(root, 'records_zstd'));
    const md = dir.find('012345', 'records').metadata!;
    const spec = { runId: '012345', dataType: 'records', dtype: md.dtype, lineage: md.lineage!, compressor: 'zstd' as const };
    await expect(dir.save(spec, { overwrite: 'never' })).rejects.toThrow(/already exists/);
    await expect(dir.save(spec, { overwrite: 'if_broken' })).rejects.toThrow(/already exists/);
    const saver = await dir.save(spec, { overwrite: 'always' });
    expect(fs.existsSync(path.join(dir.root, '012345-records-z76fdyl6i3'))).toBe(false);
    await saver.close();
    const crashed = new DataDirectory(path.join(root, 'crashed_write'));
    const cmd = crashed.list()[0]!.metadata!;
    const s2 = await crashed.save({ runId: '012347', dataType: 'raw_records', dtype: cmd.dtype, lineage: cmd.lineage!, compressor: 'zstd' }, { overwrite: 'if_broken' });
    await s2.close();
    expect(crashed.list()[0]!.state).toBe('complete');
  });

  it('records an exception and still ends under the final name, like strax', async () => {
    const out = tempDir();
    const saver = await new DataDirectory(out).save({ runId: '000901', dataType: 'records', dtype: recordDtype(), lineage: { records: ['R', '0.0.1', {}] }, compressor: 'zstd' });
    await saver.fail(new Error('digitizer went away'));
    const ds = new DataDirectory(out).list()[0]!;
    expect(ds.state).toBe('crashed');
    expect(ds.metadata!.exception).toMatch(/Error: digitizer went away/);
    expect(ds.temp).toBe(false);
  });

  it('round-trips run-level metadata with dates', () => {
    const out = tempDir();
    const dir = new DataDirectory(out);
    const file = dir.writeRunMetadata('000300', { start: new Date(1704164645123), end: new Date(1704168245000), mode: 'background', tags: [{ name: 'test' }] });
    expect(fs.readFileSync(file, 'utf8')).toBe(
      '{\n    "end": {\n        "$date": 1704168245000\n    },\n    "mode": "background",\n    "name": "000300",\n    "start": {\n        "$date": 1704164645123\n    },\n    "tags": [\n        {\n            "name": "test"\n        }\n    ]\n}',
    );
    expect(dir.readRunMetadata('000300').start).toEqual(new Date(1704164645123));
  });
});
