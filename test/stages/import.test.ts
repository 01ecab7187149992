import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { memoryLogger } from '../../src/log/index.js';
import { Ledger } from '../../src/pass/index.js';
import { openRunStore, stageOf, type RunStore } from '../../src/rundb/index.js';
import { runImport, type ImportOptions } from '../../src/stages/import.js';
import { importWorld, writeRun, type ImportWorld } from './import-helpers.js';

async function withStore<T>(world: ImportWorld, fn: (store: RunStore, base: Omit<ImportOptions, 'mode'>) => Promise<T>): Promise<T> {
  const { config } = loadConfig({ configPath: world.configFile, env: {} });
  const store = await openRunStore(config);
  const logger = memoryLogger();
  try {
    return await fn(store, { config, logger, store, handleSignals: false });
  } finally {
    await store.close();
  }
}

describe('import', () => {
  it('registers each run: number, name, start, mode, every file with size and MD5, the run record (JSON/YAML parsed, FHiCL verbatim), a live entry', async () => {
    const world = importWorld();
    const dir = writeRun(world.source, 12100, { mode: 'calibration', dataBytes: 3 });
    await withStore(world, async (store, base) => {
      const summary = await runImport({ ...base, mode: 'incremental' });
      expect(summary.done.map((d) => d.run)).toEqual([12100]);
      const doc = (await store.getRun(12100))!;
      expect(doc).toMatchObject({ number: 12100, name: '012100', mode: 'calibration' });
      expect(doc.start).toEqual(new Date(Date.UTC(2026, 0, 1) + 12100 * 3_600_000));
      expect(doc.files!.map((f) => f.name)).toEqual(['boot.fcl', 'data.bin', 'run_record/end_of_run.json', 'run_record/run_info.json', 'run_record/settings.yaml']);
      // MD5 of three bytes 0x44 ("DDD"), as md5sum computes it.
      expect(doc.files!.find((f) => f.name === 'data.bin')).toEqual({ name: 'data.bin', size: 3, md5: '45054f47ac3305a2a33e9bcceadff712' });
      expect(doc.run_record!['run_record/settings_yaml']).toEqual({ detector: 'tpc', thresholds: [10, 20] });
      expect(doc.run_record!['boot_fcl']).toBe('daq: { fragment_receiver: { max_fragment_size_bytes: 1048576 } }\n');
      expect(doc.data).toEqual([expect.objectContaining({ type: 'live', host: 'test-host', location: dir })]);
      expect(stageOf(doc, store.stateField, 'import')).toMatchObject({ state: 'done', host: 'test-host', source: dir });
    });
  });

  it('a run still being written is skipped until it ends or settles, and the contiguous mark stays below it', async () => {
    const world = importWorld();
    writeRun(world.source, 1);
    writeRun(world.source, 2, { ended: false });
    writeRun(world.source, 3);
    await withStore(world, async (store, base) => {
      const first = await runImport({ ...base, mode: 'incremental' });
      expect(first.done.map((d) => d.run)).toEqual([1, 3]);
      expect(first.skipped).toEqual([{ run: 2, reason: expect.stringMatching(/^still being written: last change \d+ s ago/) }]);
      expect(first.last_contiguous_run).toBe(1);
      expect(await store.getRun(2)).toBeNull();
      // Ten minutes without a change (import.settle_minutes) later, it counts as finished.
      const later = await runImport({ ...base, mode: 'incremental', now: () => new Date(Date.now() + 11 * 60_000) });
      expect(later.done.map((d) => d.run)).toEqual([2]);
      expect(later.last_contiguous_run).toBe(3);
    });
  });

  it('a malformed YAML record fails only its run, naming the file; the others are imported and the mark passes gaps', async () => {
    const world = importWorld();
    for (const run of [10, 11, 15, 20]) writeRun(world.source, run);
    const bad = path.join(world.source, '000015', 'run_record', 'settings.yaml');
    fs.writeFileSync(bad, 'thresholds: [10, 20\n  detector: tpc\n');
    await withStore(world, async (store, base) => {
      const summary = await runImport({ ...base, mode: 'incremental' });
      expect(summary.done.map((d) => d.run)).toEqual([10, 11, 20]);
      expect(summary.failed).toHaveLength(1);
      expect(summary.failed[0]!.run).toBe(15);
      expect(summary.failed[0]!.reason).toContain(`${bad}: malformed YAML`);
      expect(summary.last_contiguous_run).toBe(11);
      // The failure is in the runs DB too, in a document that holds nothing but number and name.
      const failed = (await store.getRun(15))!;
      expect(failed.files).toBeUndefined();
      expect(stageOf(failed, store.stateField, 'import')).toMatchObject({ state: 'failed', n_failures: 1, reason: expect.stringContaining(`${bad}: malformed YAML`) });
      fs.writeFileSync(bad, 'thresholds: [10, 20]\n');
      const retry = await runImport({ ...base, mode: 'retry-failed' });
      expect(retry.done.map((d) => d.run)).toEqual([15]);
      // Numbers 12–14 and 16–19 never existed: they do not block the mark.
      expect(retry.last_contiguous_run).toBe(20);
    });
  });

  it('a re-import after the run record changed updates the document, says what changed, and keeps other software’s fields', async () => {
    const world = importWorld();
    writeRun(world.source, 7);
    writeRun(world.source, 8);
    await withStore(world, async (store, base) => {
      await runImport({ ...base, mode: 'incremental' });
      await store.upsertRun({ number: 7, tags: [{ name: 'gold' }], straxen_note: 'kept' });
      await store.addData(7, { type: 'raw_records', host: 'daq', location: '/data/007' });
      const info = path.join(world.source, '000007', 'run_record', 'run_info.json');
      fs.writeFileSync(info, JSON.stringify({ number: 7, start: '2026-02-01T00:00:00.000Z', mode: 'led' }) + '\n');
      fs.writeFileSync(path.join(world.source, '000007', 'notes.txt'), 'HV trip at 01:00\n');
      const logger = memoryLogger();
      const again = await runImport({ ...base, logger, mode: 'full' });
      // Run 8 did not change: a full pass leaves it alone.
      expect(again.done.map((d) => d.run)).toEqual([7]);
      expect(logger.messages('info').join('\n')).toMatch(/run record changed on re-import: run_record: notes_txt added, run_record\/run_info_json changed; files: 1 added, 1 changed/);
      const doc = (await store.getRun(7))!;
      expect(doc.mode).toBe('led');
      expect(doc.run_record!['notes_txt']).toBe('HV trip at 01:00\n');
      expect(doc.tags).toEqual([{ name: 'gold' }]);
      expect(doc.straxen_note).toBe('kept');
      expect(doc.data!.map((d) => d.type).sort()).toEqual(['live', 'raw_records']);
    });
  });

  it('--dry-run reports what would change and changes nothing: no document, no ledger, no lock', async () => {
    const world = importWorld();
    writeRun(world.source, 1);
    writeRun(world.source, 2);
    await withStore(world, async (store, base) => {
      const summary = await runImport({ ...base, mode: 'incremental', dryRun: true });
      expect(summary.planned).toEqual([1, 2]);
      expect(summary.done).toEqual([]);
      expect(await store.countRuns()).toBe(0);
      expect(fs.existsSync(path.join(world.dir, 'work', 'state', 'import.json'))).toBe(false);
      expect(fs.existsSync(path.join(world.dir, 'work', 'locks'))).toBe(false);
    });
  });

  it("a DAQ live-data run folder is ready once THE_END holds a file; staging _temp folders are not inventoried", async () => {
    const world = importWorld();
    const dir = path.join(world.source, '012345');
    for (const sub of ['000000', '000000_post', '000001_pre', '000001', '000002_temp']) {
      fs.mkdirSync(path.join(dir, sub), { recursive: true });
      fs.writeFileSync(path.join(dir, sub, 'daq0_reader_0_140234'), Buffer.alloc(16, 7));
    }
    await withStore(world, async (store, base) => {
      const running = await runImport({ ...base, mode: 'incremental' });
      expect(running.skipped.map((k) => k.run)).toEqual([12345]);
      fs.mkdirSync(path.join(dir, 'THE_END'));
      const empty = await runImport({ ...base, mode: 'incremental' });
      expect(empty.skipped.map((k) => k.run)).toEqual([12345]);
      fs.writeFileSync(path.join(dir, 'THE_END', 'daq0_reader_0_140234'), '...my only friend\n');
      const ended = await runImport({ ...base, mode: 'incremental' });
      expect(ended.done).toEqual([expect.objectContaining({ run: 12345, detail: expect.stringContaining('end marker THE_END') })]);
      const doc = (await store.getRun(12345))!;
      expect(doc.files!.map((f) => f.name)).toEqual([
        '000000/daq0_reader_0_140234', '000000_post/daq0_reader_0_140234', '000001/daq0_reader_0_140234',
        '000001_pre/daq0_reader_0_140234', 'THE_END/daq0_reader_0_140234',
      ]);
      expect(doc.run_record).toEqual({});
      expect(doc.data).toEqual([expect.objectContaining({ type: 'live', location: dir })]);
    });
  });

  it('a run with two folders stops the pass with exit 3 naming both, and nothing is imported', async () => {
    const world = importWorld();
    const other = path.join(world.dir, 'more-runs');
    fs.writeFileSync(world.configFile, `work_dir: ${world.dir}/work\nimport:\n  source_dirs: [${world.source}, ${other}]\n  run_pattern: '^\\d+$'\n`);
    writeRun(world.source, 1);
    const a = writeRun(world.source, 3);
    const b = path.join(other, '3');
    fs.mkdirSync(b, { recursive: true });
    await withStore(world, async (store, base) => {
      const error = await runImport({ ...base, mode: 'incremental' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ exitCode: 3, shortMessage: `run 3 has two folders: ${a} and ${b}; keep one (daqflow will not guess which is the run)` });
      expect(await store.countRuns()).toBe(0);
    });
  });

  it('a source folder that does not exist is a configuration error (exit 3) naming it; no ledger is written', async () => {
    const world = importWorld();
    fs.rmSync(world.source, { recursive: true });
    await withStore(world, async (_store, base) => {
      const error = await runImport({ ...base, mode: 'incremental' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ exitCode: 3, shortMessage: `import.source_dirs: cannot read ${world.source} (ENOENT); check the path and its permissions` });
      expect(fs.existsSync(path.join(world.dir, 'work', 'state', 'import.json'))).toBe(false);
    });
  });

  it('a run that appears while a pass runs is left to the next pass, which imports it', async () => {
    const world = importWorld();
    for (const run of [1, 2, 3]) writeRun(world.source, run);
    await withStore(world, async (store, base) => {
      let added = false;
      const first = await runImport({
        ...base, mode: 'incremental', concurrency: 1,
        onSettled: () => {
          if (!added) writeRun(world.source, 4);
          added = true;
        },
      });
      expect(added).toBe(true);
      expect(first.done.map((d) => d.run)).toEqual([1, 2, 3]);
      expect(first.last_contiguous_run).toBe(3);
      const second = await runImport({ ...base, mode: 'incremental' });
      expect(second.done.map((d) => d.run)).toEqual([4]);
      expect(Ledger.load(path.join(world.dir, 'work', 'state'), 'import').lastContiguousRun).toBe(4);
    });
  });
});
