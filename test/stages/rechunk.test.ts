import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyDataset } from '../../src/stages/data/verify-dataset.js';
import { stageOf } from '../../src/rundb/index.js';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { FIXTURES, manifest } from '../strax/fixtures.js';
import { addFixture, only, rechunkOnce, rechunkWorld, withRechunk, writeDaqflowDataset } from './rechunk-helpers.js';
import { runRechunk } from '../../src/stages/rechunk.js';
import { memoryLogger } from '../../src/log/index.js';
import { loadConfig, workPaths } from '../../src/config/index.js';
import { acquireStageLock } from '../../src/pass/lock.js';

const readMeta = (ds: { metadataPath?: string }) => JSON.parse(fs.readFileSync(ds.metadataPath!, 'utf8')) as Record<string, any>;

describe('rechunk on strax-written data', () => {
  it('reproduces strax.rechunker: records_lz4 at 0.15 MB with zstd gets the chunk boundaries of records_rechunked_zstd_serial', async () => {
    const world = rechunkWorld(['rules: [{data_types: [records], target_mb: 0.15, compressor: zstd}]']);
    addFixture(world.source, 'records_lz4');
    const source = only(world.source)[0]!;
    const sourceRows = await new DataDirectory(world.source).readAll(source);
    const sourceMeta = readMeta(source);
    const summary = await rechunkOnce(world);
    expect(summary.done.map((d) => d.run)).toEqual([12345]);
    const [copy] = only(world.dest);
    expect(copy!.state).toBe('complete');
    const strax = readMeta({ metadataPath: path.join(FIXTURES, 'records_rechunked_zstd_serial', copy!.folderName, `records-${copy!.lineageHash}-metadata.json`) });
    const mine = readMeta(copy!);
    const bounds = (md: Record<string, any>) => md.chunks.map((c: any) => [c.start, c.end, c.n]);
    expect(bounds(mine)).toEqual(bounds(strax));
    expect(mine.chunks.map((c: any) => c.n)).toEqual([582, 320]);
    // Everything but the compressor, the chunk target and the fresh writing facts is the source's.
    for (const key of ['lineage', 'lineage_hash', 'dtype', 'strax_version', 'run_id', 'data_type', 'data_kind']) expect([key, mine[key]]).toEqual([key, sourceMeta[key]]);
    expect(mine.compressor).toBe('zstd');
    expect(mine.chunk_target_size_mb).toBe(0.15);
    expect(await new DataDirectory(world.dest).readAll(copy!)).toEqual(sourceRows);
    expect(fs.existsSync(source.path)).toBe(false);
    expect(fs.readdirSync(world.dest)).toEqual([copy!.folderName]);
  });

  it('every fixture dataset rechunks and verifies (deep) with the same rows; the crashed write is left alone', async () => {
    const roots = [...new Set(manifest.datasets.map((d) => d.name))];
    for (const root of roots) {
      const world = rechunkWorld(['target_mb: 0.05', 'compressor: bz2']);
      addFixture(world.source, root);
      const before = only(world.source);
      const rows = new Map<string, Uint8Array>();
      for (const ds of before) if (ds.state === 'complete') rows.set(ds.folderName, await new DataDirectory(world.source).readAll(ds));
      const summary = await rechunkOnce(world);
      expect([root, summary.failed]).toEqual([root, []]);
      if (root === 'crashed_write') {
        expect(summary.skipped).toEqual([{ run: 12347, reason: 'no complete dataset to rechunk' }]);
        expect(only(world.source).map((d) => d.state)).toEqual(['crashed']);
        expect(only(world.dest)).toEqual([]);
        continue;
      }
      for (const copy of only(world.dest)) {
        const check = await verifyDataset(copy, true);
        expect([root, check.problems]).toEqual([root, []]);
        expect(copy.metadata!.compressor).toBe('bz2');
        expect(await new DataDirectory(world.dest).readAll(copy)).toEqual(rows.get(copy.folderName));
      }
      expect(only(world.dest).length).toBe(rows.size);
    }
  });

  it('a source whose chunk is truncated fails naming the file, stays as it was, and the other data type proceeds', async () => {
    const world = rechunkWorld(['target_mb: 1']);
    addFixture(world.source, 'records_zstd');
    addFixture(world.source, 'raw_records_zstd');
    const records = only(world.source, 'records')[0]!;
    const meta = readMeta(records);
    const file = path.join(records.path, meta.chunks[1].filename);
    fs.truncateSync(file, fs.statSync(file).size - 10);
    const bytesBefore = fs.readdirSync(records.path).map((f) => [f, fs.readFileSync(path.join(records.path, f)).toString('base64')]);
    const summary = await rechunkOnce(world);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]!.reason).toContain(`records: ${file}`);
    expect(fs.readdirSync(records.path).map((f) => [f, fs.readFileSync(path.join(records.path, f)).toString('base64')])).toEqual(bytesBefore);
    expect(only(world.dest).map((d) => [d.dataType, d.state])).toEqual([['raw_records', 'complete']]);
    expect(fs.readdirSync(world.dest)).toEqual([only(world.dest)[0]!.folderName]);
    expect(only(world.source).map((d) => d.dataType)).toEqual(['records']);
  });
});

describe('rechunk on daqflow-written data', () => {
  it.each(['bz2', 'zstd', 'blosc', 'lz4'] as const)('live-style lz4 records in many small chunks rechunk to %s and read back identical, keeping daqflow_version', async (compressor) => {
    const world = rechunkWorld([`rules: [{data_types: ['*'], target_mb: 0.5, compressor: ${compressor}}]`]);
    const { rows } = await writeDaqflowDataset(world.source, { runId: '000042', dataType: 'records', rows: 6000, rowsPerChunk: 100, extra: { daqflow_version: '0.1.0' } });
    const summary = await rechunkOnce(world);
    expect(summary.done.map((d) => d.run)).toEqual([42]);
    const [copy] = only(world.dest);
    const md = readMeta(copy!);
    expect(md.compressor).toBe(compressor);
    expect(md.daqflow_version).toBe('0.1.0');
    expect(md.chunks.length).toBeLessThan(10);
    expect(md.chunks.length).toBeGreaterThan(1);
    expect(Buffer.from(await new DataDirectory(world.dest).readAll(copy!)).equals(Buffer.from(rows))).toBe(true);
    expect((await verifyDataset(copy!, true)).problems).toEqual([]);
  });
});

describe('rechunk and the runs DB', () => {
  it('moves the run\'s entry to the new copy (location, compressor, n_chunks, size), keeps other software\'s entries, records daqflow.rechunk', async () => {
    const world = rechunkWorld(['target_mb: 1']);
    addFixture(world.source, 'records_lz4');
    const source = only(world.source)[0]!;
    await withRechunk(world, async (store, base) => {
      await store.upsertRun({ number: 12345, name: '012345' });
      await store.addData(12345, { type: 'records', host: 'test-host', location: source.path, compressor: 'lz4', n_chunks: 3, meta: { lineage: { records: ['R', '1', {}] } }, by_straxen: 'kept' });
      const theirs = { type: 'records', host: 'other-host', location: source.path, protocol: 'rucio', note: 'not ours' };
      await store.addData(12345, theirs);
      await store.addData(12345, { type: 'raw_records', host: 'test-host', location: '/elsewhere', compressor: 'lz4' });
      const summary = await runRechunk({ ...base, mode: 'full' });
      expect(summary.done.map((d) => d.run)).toEqual([12345]);
      const doc = (await store.getRun(12345))!;
      const copy = only(world.dest)[0]!;
      const mine = doc.data!.filter((e) => e.host === 'test-host' && e.type === 'records');
      expect(mine).toEqual([expect.objectContaining({ location: copy.path, compressor: 'zstd', n_chunks: 1, size_mb: copy.sizeOnDisk / 1e6, by_straxen: 'kept', meta: { lineage: { records: ['R', '1', {}] } } })]);
      expect(doc.data!.find((e) => e.host === 'other-host')).toMatchObject(theirs);
      expect(doc.data!.find((e) => e.type === 'raw_records')).toMatchObject({ location: '/elsewhere', compressor: 'lz4' });
      expect(doc.deleted_data).toEqual([expect.objectContaining({ type: 'records', host: 'test-host', location: source.path, by: 'daqflow rechunk' })]);
      expect(stageOf(doc, store.stateField, 'rechunk')).toMatchObject({ state: 'done' });
    });
  });

  it('the rechunk override document replaces config keys; a bad value there is a ConfigError naming the key', async () => {
    const world = rechunkWorld();
    addFixture(world.source, 'records_lz4');
    await withRechunk(world, async (store, base) => {
      await store.setConfigDoc('rechunk', { compressor: 'lz4', keep_source: true, target_mb: 0.1 });
      const summary = await runRechunk({ ...base, mode: 'full' });
      expect(summary.done).toHaveLength(1);
      const copy = only(world.dest)[0]!;
      expect(copy.metadata!.compressor).toBe('lz4');
      expect(copy.metadata!.chunks.length).toBeGreaterThan(1);
      expect(only(world.source)[0]!.state).toBe('complete');
      await store.setConfigDoc('rechunk', { compressor: 'gzip' });
      await expect(runRechunk({ ...base, mode: 'full' })).rejects.toThrow(/rechunk\.compressor/);
    });
  });
});

describe('rechunk options', () => {
  it('--dry-run changes nothing; --bypass moves the dataset unchanged', async () => {
    const world = rechunkWorld(['target_mb: 1']);
    addFixture(world.source, 'records_lz4');
    const source = only(world.source)[0]!;
    const files = fs.readdirSync(source.path).sort();
    const logger = memoryLogger();
    const dry = await rechunkOnce(world, { dryRun: true, logger });
    expect(dry.planned).toEqual([12345]);
    expect(logger.messages('info')).toContainEqual(expect.stringMatching(/012345-records-z76fdyl6i3: would write zstd, 1 MB chunks \(default\)/));
    expect(logger.messages('info')).toContainEqual(expect.stringMatching(/would be done .*would rechunk 1 data types/));
    expect(fs.readdirSync(world.dest)).toEqual([]);
    const moved = await rechunkOnce(world, { bypass: true });
    expect(moved.done).toHaveLength(1);
    const copy = only(world.dest)[0]!;
    expect(fs.readdirSync(copy.path).sort()).toEqual(files);
    for (const f of files) expect(fs.readFileSync(path.join(copy.path, f)).equals(fs.readFileSync(path.join(FIXTURES, 'records_lz4', copy.folderName, f)))).toBe(true);
    expect(fs.existsSync(source.path)).toBe(false);
  });

  it('--incremental takes only runs the ledger has not seen; with keep_source a full pass skips runs already copied', async () => {
    const world = rechunkWorld(['target_mb: 1', 'keep_source: true']);
    addFixture(world.source, 'records_lz4');
    expect((await rechunkOnce(world, { mode: 'incremental' })).done.map((d) => d.run)).toEqual([12345]);
    addFixture(world.source, 'records_empty_chunk_lz4');
    expect((await rechunkOnce(world, { mode: 'incremental' })).done.map((d) => d.run)).toEqual([12346]);
    expect((await rechunkOnce(world, { mode: 'incremental' })).done).toEqual([]);
    const full = await rechunkOnce(world, { mode: 'full' });
    expect(full.done).toEqual([]);
    expect(only(world.source).map((d) => d.state)).toEqual(['complete', 'complete']);
    expect(only(world.dest).map((d) => d.runId)).toEqual(['012345', '012346']);
  });

  it('--incremental takes again a run whose data came back to the source after it was rechunked (processed anew)', async () => {
    const world = rechunkWorld(['target_mb: 1']);
    addFixture(world.source, 'records_lz4');
    addFixture(world.source, 'records_empty_chunk_lz4');
    expect((await rechunkOnce(world, { mode: 'incremental' })).done.map((d) => d.run).sort()).toEqual([12345, 12346]);
    expect(only(world.source)).toEqual([]);
    // Run 12345 is processed again: its data is back in the source, and the ledger's mark is above it.
    addFixture(world.source, 'records_lz4');
    const again = await rechunkOnce(world, { mode: 'incremental' });
    expect(again.done.map((d) => d.run)).toEqual([12345]);
    expect(only(world.source)).toEqual([]);
    expect(only(world.dest).map((d) => [d.runId, d.state])).toEqual([['012345', 'complete'], ['012346', 'complete']]);
    expect((await rechunkOnce(world, { mode: 'incremental' })).done).toEqual([]);
  });

  it('an incomplete folder of someone else under the final name is never overwritten; keep_source in place is a ConfigError (exit 3)', async () => {
    const world = rechunkWorld(['target_mb: 1']);
    addFixture(world.source, 'records_lz4');
    const folder = only(world.source)[0]!.folderName;
    fs.mkdirSync(path.join(world.dest, folder));
    fs.writeFileSync(path.join(world.dest, folder, 'theirs.txt'), 'not daqflow');
    const summary = await rechunkOnce(world);
    expect(summary.failed[0]!.reason).toContain(`${folder}: already exists at ${path.join(world.dest, folder)}`);
    expect(fs.readdirSync(path.join(world.dest, folder))).toEqual(['theirs.txt']);
    expect(only(world.source)[0]!.state).toBe('complete');
    fs.writeFileSync(world.configFile, fs.readFileSync(world.configFile, 'utf8').replace(/  dest_dir: .*\n/, '  keep_source: true\n'));
    await expect(rechunkOnce(world)).rejects.toMatchObject({ exitCode: 3, message: expect.stringContaining('rechunk.keep_source needs a separate rechunk.dest_dir') });
  });

  it('in place (no dest_dir): each dataset is replaced by its rechunked copy under the same name, the runs DB entry updated in place; later passes leave it alone', async () => {
    const world = rechunkWorld(['target_mb: 1', 'skip_types: [records_he]']);
    fs.writeFileSync(world.configFile, fs.readFileSync(world.configFile, 'utf8').replace(/  dest_dir: .*\n/, ''));
    const { rows } = await writeDaqflowDataset(world.source, { runId: '000201', dataType: 'records', rows: 3000, rowsPerChunk: 100 });
    await writeDaqflowDataset(world.source, { runId: '000201', dataType: 'records_he', rows: 300, rowsPerChunk: 100 });
    const before = only(world.source, 'records')[0]!;
    await withRechunk(world, async (store, base) => {
      await store.upsertRun({ number: 201, name: '000201' });
      await store.addData(201, { type: 'records', host: 'test-host', location: before.path, compressor: 'lz4', n_chunks: before.metadata!.chunks.length });
      const summary = await runRechunk({ ...base, mode: 'full' });
      expect(summary.done.map((d) => d.run)).toEqual([201]);
      const after = only(world.source, 'records')[0]!;
      expect([after.path, after.state, after.metadata!.compressor, after.metadata!.chunks.length]).toEqual([before.path, 'complete', 'zstd', 1]);
      expect(Buffer.from(await new DataDirectory(world.source).readAll(after)).equals(Buffer.from(rows))).toBe(true);
      expect(only(world.source, 'records_he')[0]!.metadata!.compressor).toBe('lz4');
      // Nothing left in staging; one entry, at the same place, describing the new copy.
      expect(fs.readdirSync(path.join(world.source, '.daqflow-rechunk'))).toEqual([]);
      const entries = (await store.getRun(201))!.data!.filter((e) => e.type === 'records');
      expect(entries).toEqual([expect.objectContaining({ location: before.path, compressor: 'zstd', n_chunks: 1 })]);
      const again = await runRechunk({ ...base, mode: 'full' });
      expect([again.done, again.failed]).toEqual([[], []]);
      expect(only(world.source, 'records')[0]!.metadata!.writing_ended).toEqual(after.metadata!.writing_ended);
    });
  });

  it('in place, a swap cut between its two renames is repaired first: the staged new copy put in place, or the old one back', async () => {
    const world = rechunkWorld(['target_mb: 1']);
    fs.writeFileSync(world.configFile, fs.readFileSync(world.configFile, 'utf8').replace(/  dest_dir: .*\n/, ''));
    const staging = path.join(world.source, '.daqflow-rechunk');
    fs.mkdirSync(staging);
    const rows = new Map<string, Uint8Array>();
    for (const [run, seed] of [['000301', 1], ['000302', 2]] as const) {
      rows.set(run, (await writeDaqflowDataset(world.source, { runId: run, dataType: 'records', rows: 1000, rowsPerChunk: 100, seed })).rows);
      const ds = only(world.source, 'records').find((d) => d.runId === run)!;
      // 301: the new copy was complete in staging; 302: it was not written yet. Then rename 1 (old → .old), then the kill.
      if (run === '000301') fs.cpSync(ds.path, path.join(staging, ds.folderName), { recursive: true });
      fs.renameSync(ds.path, path.join(staging, `${ds.folderName}.old`));
    }
    expect(only(world.source)).toEqual([]);
    const logger = memoryLogger();
    const summary = await rechunkOnce(world, { logger });
    expect(summary.done.map((d) => d.run)).toEqual([301, 302]);
    expect(logger.messages('warn')).toEqual(expect.arrayContaining([
      expect.stringMatching(/^000301-records-\w+: finished an interrupted swap in place/),
      expect.stringMatching(/^000302-records-\w+: put the old copy back/),
    ]));
    for (const [run, data] of rows) {
      const ds = only(world.source, 'records').find((d) => d.runId === run)!;
      expect([ds.state, ds.metadata!.compressor]).toEqual(['complete', 'zstd']);
      expect(Buffer.from(await new DataDirectory(world.source).readAll(ds)).equals(Buffer.from(data))).toBe(true);
    }
    expect(fs.readdirSync(staging)).toEqual([]);
  });

  it('a dead writer\'s unfinished dataset (unchanged for stale_writing_h) is reported and left in place while the run\'s complete datasets are rechunked; a live one holds the run back', async () => {
    const world = rechunkWorld(['target_mb: 1', 'stale_writing_h: 1']);
    await writeDaqflowDataset(world.source, { runId: '000101', dataType: 'records', rows: 2000, rowsPerChunk: 200 });
    await writeDaqflowDataset(world.source, { runId: '000102', dataType: 'records', rows: 2000, rowsPerChunk: 200 });
    // Unfinished writes (the saver never closed): 101's writer died two hours ago, 102's is at work.
    const unfinished = async (runId: string) => {
      const saver = await new DataDirectory(world.source).save({ runId, dataType: 'peaks', dtype: "[('time', '<i8'), ('length', '<i4'), ('dt', '<i2')]", lineage: { peaks: ['P', '0', {}] }, compressor: 'lz4' });
      await saver.save({ start: 0n, end: 10n, data: new Uint8Array(0) });
      return only(world.source, 'peaks').find((d) => d.runId === runId)!;
    };
    const dead = await unfinished('000101');
    const live = await unfinished('000102');
    expect([dead.state, live.state, path.basename(dead.path)]).toEqual(['writing', 'writing', `${dead.folderName}_temp`]);
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    for (const f of [dead.path, ...fs.readdirSync(dead.path).map((n) => path.join(dead.path, n))]) fs.utimesSync(f, twoHoursAgo, twoHoursAgo);
    const deadFiles = fs.readdirSync(dead.path).sort();
    const logger = memoryLogger();
    const summary = await rechunkOnce(world, { logger });
    expect(summary.done.map((d) => d.run)).toEqual([101]);
    expect(summary.done[0]!.detail).toMatch(new RegExp(`1 data types to .*; 1 stale unfinished dataset\\(s\\) left in place: ${dead.folderName}_temp$`));
    expect(logger.messages('warn')).toContainEqual(expect.stringMatching(new RegExp(`${dead.folderName}_temp: unchanged for more than 1 h .*left in place`)));
    expect(summary.skipped).toEqual([{ run: 102, reason: `${live.folderName} still being written` }]);
    expect(only(world.dest).map((d) => [d.runId, d.dataType, d.state])).toEqual([['000101', 'records', 'complete']]);
    // The dead writer's folder is exactly as it was; 102 keeps its complete source until its writer finishes.
    expect(fs.readdirSync(dead.path).sort()).toEqual(deadFiles);
    expect(only(world.source).filter((d) => d.runId === '000102').map((d) => d.state).sort()).toEqual(['complete', 'writing']);
  });

  it('leaves a run alone while it is being processed (its process state in flight, or a live straxer lock), and rechunks it once processing has ended', async () => {
    const world = rechunkWorld(['target_mb: 1']);
    for (const runId of ['000111', '000112']) await writeDaqflowDataset(world.source, { runId, dataType: 'records', rows: 2000, rowsPerChunk: 200 });
    const { config } = loadConfig({ configPath: world.configFile, env: {} });
    const lock = await acquireStageLock({ locksDir: workPaths(config).locksDir, stage: 'straxer-000112', staleMs: 60_000, updateMs: 10_000, command: 'straxer 000112', holderKind: 'straxer' });
    try {
      await withRechunk(world, async (store, base) => {
        await store.upsertRun({ number: 111 });
        await store.updateStage(111, 'process', { set: { state: 'running', host: 'eb1' } });
        const busy = await runRechunk({ ...base, mode: 'full' });
        expect(busy.skipped).toEqual([
          { run: 111, reason: 'its processing is running; rechunked once it has ended' },
          { run: 112, reason: 'a straxer is processing it (its run lock is held)' },
        ]);
        expect(only(world.dest)).toEqual([]);
        await store.updateStage(111, 'process', { set: { state: 'done' } });
        await lock.release();
        const later = await runRechunk({ ...base, mode: 'full' });
        expect(later.done.map((d) => d.run)).toEqual([111, 112]);
      });
    } finally {
      await lock.release();
    }
  });

  it('finishes the swap a crash interrupted: complete copy and source with no runs-DB entry; a source whose removal began', async () => {
    const world = rechunkWorld(['target_mb: 1', 'keep_source: true']);
    addFixture(world.source, 'records_lz4');
    addFixture(world.source, 'records_empty_chunk_lz4');
    await withRechunk(world, async (store, base) => {
      for (const run of [12345, 12346]) await store.upsertRun({ number: run, name: String(run).padStart(6, '0') });
      await runRechunk({ ...base, mode: 'full' });
      // The states a crash leaves between the steps: 12345 between removing the old entry and adding the new one,
      // 12346 after its source's metadata file was removed.
      const copy = only(world.dest, 'records').find((d) => d.runId === '012345')!;
      await store.removeData(12345, { type: 'records', location: copy.path }, { by: 'test', reason: 'crash between the two writes' });
      const half = only(world.source).find((d) => d.runId === '012346')!;
      fs.rmSync(half.metadataPath!);
      const config = { ...base.config, rechunk: { ...base.config.rechunk, keep_source: false } };
      const summary = await runRechunk({ ...base, config, mode: 'full' });
      expect(summary.done.map((d) => d.run)).toEqual([12345, 12346]);
      expect(fs.readdirSync(world.source)).toEqual([]);
      const entries = (await store.getRun(12345))!.data!.filter((e) => e.type === 'records');
      expect(entries).toEqual([expect.objectContaining({ location: copy.path, compressor: 'zstd' })]);
      expect((await store.getRun(12346))!.data!.filter((e) => e.type === 'records')).toHaveLength(1);
      for (const d of only(world.dest)) expect(d.state).toBe('complete');
    });
  });

  it.each([[60, 'zstd'], [10, 'bz2']] as const)('a run whose document records %d MB/s (high_rate_mb_s 50) gets %s for raw_records', async (avg, compressor) => {
    const world = rechunkWorld(['raw_target_mb: 1']);
    addFixture(world.source, 'raw_records_zstd');
    await withRechunk(world, async (store, base) => {
      await store.upsertRun({ number: 12345, name: '012345', rate: { tpc: { avg: avg - 5 }, muon_veto: { avg: 5 } } });
      expect((await runRechunk({ ...base, mode: 'full' })).done).toHaveLength(1);
      expect(only(world.dest)[0]!.metadata!.compressor).toBe(compressor);
    });
  });

  it('the rules: raw types get bz2 and the raw target, fast runs zstd, skip_types are copied, blosc is capped', async () => {
    const { pickRule } = await import('../../src/stages/rechunk/rules.js');
    const { rechunkSchema } = await import('../../src/config/schema.js');
    const cfg = rechunkSchema.parse({ skip_types: ['peaks'], rules: [{ data_types: ['event_*'], compressor: 'blosc', target_mb: 4000 }] });
    const slow = { rateMbS: 10, failedBefore: false };
    expect(pickRule(cfg, 'raw_records', slow, false)).toMatchObject({ action: 'rechunk', targetMb: 5000, compressor: 'bz2' });
    expect(pickRule(cfg, 'raw_records_he', { rateMbS: 60, failedBefore: false }, false)).toMatchObject({ compressor: 'zstd', targetMb: 5000 });
    expect(pickRule(cfg, 'raw_records', { rateMbS: 1, failedBefore: true }, false)).toMatchObject({ compressor: 'zstd' });
    expect(pickRule(cfg, 'records', slow, false)).toMatchObject({ targetMb: 1500, compressor: 'zstd' });
    expect(pickRule(cfg, 'peaks', slow, false)).toMatchObject({ action: 'copy' });
    expect(pickRule(cfg, 'event_info', slow, false)).toMatchObject({ compressor: 'blosc', targetMb: 1500 });
    expect(pickRule(cfg, 'records', slow, true)).toMatchObject({ action: 'copy' });
  });
});
