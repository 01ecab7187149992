// Products do not depend on chunk target or worker count; stored products are reused; every product passes the reader's checks.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { readChunks } from '../../src/strax/storage/chunk-reader.js';
import { boundsProblems } from '../../src/strax/chunk/bounds.js';
import { layoutOf } from '../../src/strax/storage/chunk-reader.js';
import { Peaks } from '../../src/strax/plugins/peaks.js';
import { REFERENCE_PLUGINS } from '../../src/strax/plugins/index.js';
import { SUBDETECTOR_RAW_RECORDS } from '../../src/strax/plugins/raw_records.js';
import { rawRecordDtype } from '../../src/strax/dtype/standard.js';
import { EVENTS } from '../../src/strax/plugins/events.js';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { SEGMENTS_KEY, segmentsFromPyJson } from '../../src/strax/engine/segments.js';
import { readLiveChunk, readLiveIndex } from '../../src/strax/engine/live-data.js';
import { makeTmpDir } from '../support/tmp.js';
import { RUN, cli, folders, makeLiveRun, processLive, rowsOf } from './helpers.js';

const TYPES = REFERENCE_PLUGINS.filter((p) => !SUBDETECTOR_RAW_RECORDS.includes(p)).map((p) => p.provides);

const RUN_OPTIONS = { sizeMb: 6, rateHz: 8, seed: 5, chunkMb: 1.5 };

describe('engine products', () => {
  let live: string;
  beforeAll(async () => {
    live = await makeLiveRun(RUN_OPTIONS);
  });

  it('writes byte-identical rows for chunk targets of 1 MB and 50 MB', async () => {
    const a = makeTmpDir();
    const b = makeTmpDir();
    // raw_records and records are saved only when asked for (saveWhen 'target'): ask, so every product is compared.
    await processLive(live, a, ['event_info', 'lone_hits'], { chunkTargetMb: 1, save: ['raw_records', 'records'] });
    await processLive(live, b, ['event_info', 'lone_hits'], { chunkTargetMb: 50, save: ['raw_records', 'records'] });
    const chunksA = new DataDirectory(a).find(RUN, 'records').metadata!.chunks.length;
    const chunksB = new DataDirectory(b).find(RUN, 'records').metadata!.chunks.length;
    expect(chunksA).toBeGreaterThan(chunksB);
    for (const t of TYPES) expect(Buffer.compare(Buffer.from(await rowsOf(a, t)), Buffer.from(await rowsOf(b, t))), t).toBe(0);
  });

  it('writes byte-identical rows with 1 and 2 worker threads (straxer CLI)', async () => {
    const cwd = makeTmpDir();
    const a = path.join(cwd, 'a');
    const b = path.join(cwd, 'b');
    const r1 = cli('straxer', [RUN, '--target', 'event_info', '--target', 'lone_hits', '--target', 'raw_records', '--target', 'records', '--live', live, '--storage', a, '--workers', '1', '--json'], cwd);
    expect(r1.code, r1.stderr).toBe(0);
    const r2 = cli('straxer', [RUN, '--target', 'event_info', '--target', 'lone_hits', '--target', 'raw_records', '--target', 'records', '--live', live, '--storage', b, '--workers', '2', '--json'], cwd);
    expect(r2.code, r2.stderr).toBe(0);
    expect(JSON.parse(r2.stdout).workers).toBe(2);
    for (const t of TYPES) expect(Buffer.compare(Buffer.from(await rowsOf(a, t)), Buffer.from(await rowsOf(b, t))), t).toBe(0);
  });

  it('loads stored peaks instead of recomputing them for event_info', async () => {
    const storage = makeTmpDir();
    await processLive(live, storage, ['peaks']);
    const before = folders(storage);
    const peaksDir = before.find((f) => f.includes('-peaks-'))!;
    const mtime = fs.statSync(path.join(storage, peaksDir)).mtimeMs;
    const spy = vi.spyOn(Peaks.prototype, 'compute');
    const summary = await processLive(live, storage, ['event_info']);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    expect(summary.loaded).toContain('peaks');
    expect(summary.computed).not.toContain('peaks');
    expect(summary.computed).not.toContain('records');
    expect(folders(storage).filter((f) => f.includes('-peaks-'))).toEqual([peaksDir]);
    expect(fs.statSync(path.join(storage, peaksDir)).mtimeMs).toBe(mtime);
    const fresh = makeTmpDir();
    await processLive(live, fresh, ['event_info']);
    expect(Buffer.compare(Buffer.from(await rowsOf(storage, 'event_info')), Buffer.from(await rowsOf(fresh, 'event_info')))).toBe(0);
  });

  it('recomputes everything with fromScratch and a new lineage for a changed tracked option', async () => {
    const storage = makeTmpDir();
    // Store records too, so the changed hits option below can show that stored upstream data is reused.
    await processLive(live, storage, ['hits'], { save: ['records'] });
    const again = await processLive(live, storage, ['hits'], { fromScratch: true });
    expect(again.computed).toEqual(['raw_records', 'records', 'hits']);
    const changed = await processLive(live, storage, ['hits'], { options: { hit_min_amplitude: 25 } });
    expect(changed.computed).toEqual(['hits']);
    expect(folders(storage).filter((f) => f.includes('-hits-'))).toHaveLength(2);
  });

  it('saves raw_records and records only when they are targets or listed in save (saveWhen target, as straxen), raw_records equal to the live data', async () => {
    const plain = makeTmpDir();
    const s = await processLive(live, plain, ['event_info']);
    expect(s.computed).toContain('raw_records');
    expect(s.computed).toContain('records');
    expect(s.products.map((p) => p.data_type)).not.toContain('raw_records');
    expect(s.products.map((p) => p.data_type)).not.toContain('records');
    expect(folders(plain).filter((f) => f.includes('-raw_records-'))).toEqual([]);
    expect(folders(plain).filter((f) => f.includes('-records-'))).toEqual([]);
    expect(folders(plain).filter((f) => f.includes('-hits-'))).toHaveLength(1);
    const recordsTargeted = makeTmpDir();
    await processLive(live, recordsTargeted, ['records']);
    expect(folders(recordsTargeted).filter((f) => f.includes('-records-'))).toHaveLength(1);
    const targeted = makeTmpDir();
    await processLive(live, targeted, ['raw_records']);
    // The same seed written in the daqflow-live/1 layout holds every generated row in time order: the DAQ layout's
    // raw_records are those rows up to the end of the last chunk DAQReader yields (the last _post's tail is dropped).
    const legacy = await makeLiveRun({ ...RUN_OPTIONS, layout: 'daqflow-live/1' });
    const index = readLiveIndex(legacy, RUN);
    const all = Buffer.concat(await Promise.all(index.chunks.map((_, i) => readLiveChunk(legacy, index, i))));
    const size = rawRecordDtype().itemsize;
    const generated = new RecordView(rawRecordDtype(), all);
    const ds = new DataDirectory(targeted).find(RUN, 'raw_records');
    const kept = Array.from({ length: generated.length }, (_, i) => i).filter((i) => generated.endtime(i) <= ds.metadata!.end!);
    const got = Buffer.from(await rowsOf(targeted, 'raw_records'));
    expect(got.length / size).toBe(kept.length);
    expect(Buffer.compare(got, Buffer.concat(kept.map((i) => all.subarray(i * size, (i + 1) * size))))).toBe(0);
    const explicit = makeTmpDir();
    await processLive(live, explicit, ['records'], { save: ['raw_records'] });
    expect(folders(explicit).filter((f) => f.includes('-raw_records-'))).toHaveLength(1);
  });

  it('numbers events over the whole run (event_number 0…n−1 in time order), whatever the chunking', async () => {
    const storage = makeTmpDir();
    await processLive(live, storage, ['events'], { chunkTargetMb: 0.01 });
    const ds = new DataDirectory(storage).find(RUN, 'events');
    const segments = segmentsFromPyJson(ds.metadata!.extra[SEGMENTS_KEY])!;
    const ev = new RecordView(EVENTS, await rowsOf(storage, 'events'));
    expect(ev.length).toBeGreaterThan(3);
    const withEvents = segments.filter((sg) => Array.from({ length: ev.length }, (_, i) => ev.time(i)).some((t) => t >= sg.start && t < sg.end));
    expect(withEvents.length).toBeGreaterThan(1); // numbering crosses segment boundaries
    expect(Array.from({ length: ev.length }, (_, i) => ev.get(i, 'event_number'))).toEqual(Array.from({ length: ev.length }, (_, i) => BigInt(i)));
    for (let i = 1; i < ev.length; i++) expect(ev.time(i) > ev.time(i - 1)).toBe(true);
  });

  it('writes products that the strax reader accepts: complete, continuous, rows inside chunk bounds', async () => {
    const storage = makeTmpDir();
    await processLive(live, storage, ['event_info', 'lone_hits', 'raw_records', 'records'], { chunkTargetMb: 1 });
    const list = new DataDirectory(storage).list({ run: RUN });
    expect(list.map((d) => d.dataType).sort()).toEqual([...TYPES].sort());
    for (const ds of list) {
      expect(ds.state, ds.folderName).toBe('complete');
      expect(ds.metadata!.lineage_hash).toBe(ds.lineageHash);
      const layout = layoutOf(ds);
      let prevEnd: bigint | undefined;
      for await (const c of readChunks(ds)) {
        if (prevEnd !== undefined) expect(c.start).toBe(prevEnd);
        prevEnd = c.end;
        expect(boundsProblems(layout, c.data, c.start, c.end, true), ds.folderName).toEqual([]);
      }
    }
  });
});
