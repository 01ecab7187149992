// Worker threads on stored inputs with the overlap stage: segments are views into a decoded chunk (a Buffer), and the
// overlap stage keeps reading the segment-local products after they went to the writer. Before the fix, a worker was
// handed the whole decoded chunk (Buffer#slice is a view, not a copy) and the carried rows were detached: straxer
// crashed with a detached ArrayBuffer. With products cut into small chunks, compression runs in the middle of the run.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RecordLayout } from '../../src/strax/dtype/layout.js';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { makeTmpDir } from '../support/tmp.js';
import { REPO, RUN, cli, makeLiveRun, rowsOf } from './helpers.js';

const RECORDS_MEMORY = path.join(REPO, 'test', 'engine', 'user-plugin', 'records-memory.mjs');

/** records_memory rows, read by the plugin's own field names: [segment start, records bytes, shared (0/1)]. */
async function memoryRows(rows: Uint8Array): Promise<Array<[bigint, bigint, number]>> {
  const { MEMORY } = (await import(pathToFileURL(RECORDS_MEMORY).href)) as { MEMORY: RecordLayout };
  const [time, bytes, shared] = ['time', 'records_bytes', 'shared'].map((f) => MEMORY.field(f).offset) as [number, number, number];
  const v = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  const out: Array<[bigint, bigint, number]> = [];
  for (let o = 0; o < rows.length; o += MEMORY.itemsize) out.push([v.getBigInt64(o + time, true), v.getBigInt64(o + bytes, true), v.getInt8(o + shared)]);
  return out;
}

describe('straxer --workers 2 from stored records', () => {
  let records: string;
  beforeAll(async () => {
    const live = await makeLiveRun({ sizeMb: 8 });
    records = makeTmpDir();
    const r = cli('straxer', [RUN, '-t', 'records', '--live', live, '--storage', records, '--workers', '1'], records);
    expect(r.code, r.stderr).toBe(0);
    const ds = new DataDirectory(records).find(RUN, 'records');
    // Several segments per stored chunk, so segments are views into one decoded chunk.
    expect(ds.metadata!.chunks.length).toBeLessThan(((ds.metadata!.extra.daqflow_segments as unknown[]) ?? []).length);
  }, 120_000);

  it('gives the 1-worker products', () => {
    const stores = [1, 2].map((workers) => {
      const store = makeTmpDir();
      fs.cpSync(records, store, { recursive: true });
      fs.writeFileSync(path.join(store, 'config.yaml'), 'processing:\n  chunk_target_mb: 0.3\n');
      const r = cli('straxer', [RUN, '-t', 'peaks', '--live', store, '--storage', store, '--workers', String(workers), '--config', path.join(store, 'config.yaml'), '--json'], store);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).workers).toBe(workers);
      return store;
    });
    return (async () => {
      for (const type of ['hits', 'peaklets', 'peaks']) {
        const [one, two] = await Promise.all(stores.map((s) => rowsOf(s, type)));
        expect(one.length, type).toBeGreaterThan(0);
        expect(Buffer.compare(Buffer.from(two!), Buffer.from(one!)), type).toBe(0);
        expect(new DataDirectory(stores[1]!).find(RUN, type).metadata!.chunks.length, type).toBeGreaterThan(1);
      }
    })();
  }, 120_000);

  it('decodes the stored records into memory shared with the worker threads: their plugins get them without a copy', async () => {
    const perWorkers = await Promise.all(
      [1, 2].map(async (workers) => {
        const store = makeTmpDir();
        fs.cpSync(records, store, { recursive: true });
        fs.writeFileSync(path.join(store, 'config.yaml'), `processing:\n  plugins: [${JSON.stringify(RECORDS_MEMORY)}]\n`);
        const r = cli('straxer', [RUN, '-t', 'records_memory', '--live', store, '--storage', store, '--workers', String(workers), '--config', path.join(store, 'config.yaml'), '--json'], store);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout).workers).toBe(workers);
        return memoryRows(await rowsOf(store, 'records_memory'));
      }),
    );
    const [inline, onWorkers] = perWorkers as [Array<[bigint, bigint, number]>, Array<[bigint, bigint, number]>];
    expect(inline.length).toBeGreaterThan(1);
    // The same segments and records either way; on worker threads every segment's records are the decoded chunk's
    // shared memory (views of it), inline they are the main thread's own buffers.
    expect(onWorkers.map(([t, n]) => [t, n])).toEqual(inline.map(([t, n]) => [t, n]));
    expect(onWorkers.every(([, , shared]) => shared === 1)).toBe(true);
    expect(inline.every(([, , shared]) => shared === 0)).toBe(true);
  }, 120_000);
});
