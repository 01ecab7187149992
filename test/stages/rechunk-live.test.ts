// Data daqflow produced from DAQ live data (fake-daq → straxer, lz4 in many small chunks) rechunks to every compressor.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyDataset } from '../../src/stages/data/verify-dataset.js';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { makeTmpDir } from '../support/tmp.js';
import { startCli } from './import-helpers.js';
import { only, rechunkOnce, rechunkWorld } from './rechunk-helpers.js';

let produced: string;
const original = new Map<string, Buffer>();

beforeAll(async () => {
  const dir = makeTmpDir('daqflow-rechunk-live-');
  const live = path.join(dir, 'live');
  produced = path.join(dir, 'strax');
  const daq = await startCli(['fake-daq', '--runs', '000101', '--live', live, '--size-mb', '2', '--daq-chunk-s', '0.1', '--seed', '3', '-q']).done;
  expect(daq.code, daq.stderr).toBe(0);
  const straxer = await startCli([
    'straxer', '000101', '--live', live, '--storage', produced, '-t', 'raw_records', '-t', 'records', '-t', 'peaks', '--workers', '1', '-q',
    '--set', 'processing.compressor=lz4', '--set', 'processing.chunk_target_mb=0.2',
  ]).done;
  expect(straxer.code, straxer.stderr).toBe(0);
  for (const ds of new DataDirectory(produced).list()) original.set(ds.dataType, Buffer.from(await new DataDirectory(produced).readAll(ds)));
}, 120_000);

describe('rechunk on daqflow-produced data', () => {
  it('the live-derived data is lz4 in many small chunks', () => {
    const raw = new DataDirectory(produced).find('000101', 'raw_records');
    expect(raw.metadata!.compressor).toBe('lz4');
    expect(raw.metadata!.chunks.length).toBeGreaterThan(10);
  });

  it.each(['bz2', 'zstd', 'blosc', 'lz4'] as const)('raw_records, records and peaks rechunk to %s and read back identical', async (compressor) => {
    const world = rechunkWorld([`rules: [{data_types: ['*'], target_mb: 1, compressor: ${compressor}}]`]);
    fs.cpSync(produced, world.source, { recursive: true });
    const summary = await rechunkOnce(world);
    expect(summary.done.map((d) => d.run)).toEqual([101]);
    const copies = only(world.dest);
    expect(copies.map((d) => d.dataType).sort()).toEqual([...original.keys()].sort());
    for (const copy of copies) {
      expect([copy.dataType, copy.metadata!.compressor]).toEqual([copy.dataType, compressor]);
      expect([copy.dataType, (await verifyDataset(copy, true)).problems]).toEqual([copy.dataType, []]);
      expect(Buffer.from(await new DataDirectory(world.dest).readAll(copy)).equals(original.get(copy.dataType)!)).toBe(true);
    }
    const raw = copies.find((d) => d.dataType === 'raw_records')!;
    expect(raw.metadata!.chunks.length).toBeLessThan(new DataDirectory(produced).find('000101', 'raw_records').metadata!.chunks.length);
    expect(fs.readdirSync(world.source)).toEqual([]);
  }, 120_000);

  it('through the CLI: --process one run with --deep-compare and two threads gives the same rows', async () => {
    const world = rechunkWorld(['target_mb: 1', 'raw_target_mb: 2', 'max_threads: 2', 'deep_compare: false']);
    fs.cpSync(produced, world.source, { recursive: true });
    const result = await startCli(['rechunk', '--process', '000101', '--deep-compare', '--config', world.configFile, '--json']).done;
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).done.map((d: { run: number }) => d.run)).toEqual([101]);
    expect(result.stderr).toContain('deep_compare (--deep-compare)');
    for (const copy of only(world.dest)) {
      expect(copy.metadata!.compressor).toBe(copy.dataType === 'raw_records' ? 'bz2' : 'zstd');
      expect(Buffer.from(await new DataDirectory(world.dest).readAll(copy)).equals(original.get(copy.dataType)!)).toBe(true);
    }
  }, 60_000);
});
