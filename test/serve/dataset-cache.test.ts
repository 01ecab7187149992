// The server's cache of inspected datasets: kept while a folder and its metadata file are unchanged, read again
// (never served stale) when a dataset is replaced, loses a chunk file or has its metadata rewritten; real files and
// real HTTP against a started server.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { memoryLogger } from '../../src/log/index.js';
import { DatasetCache } from '../../src/serve/dataset-cache.js';
import { startServe, type RunningServer } from '../../src/serve/run-serve.js';
import { hitDtype } from '../../src/strax/dtype/standard.js';
import { waitFor } from '../stages/import-helpers.js';
import { makeTmpDir } from '../support/tmp.js';
import { makeRows, readNpy, serveWorld, worldConfig, writeDataset, type ServeWorld } from './helpers.js';

/**
 * A clock that the test moves: a minute behind at first (nothing written counts as settled, however slow the machine),
 * a minute ahead after later() (everything written so far is old enough to be kept).
 */
function testClock(): { now: () => number; later: () => void } {
  let offset = -60_000;
  return { now: () => Date.now() + offset, later: () => void (offset = 60_000) };
}

/** Waits until the file clock has moved past `file`'s times, so the next write cannot carry the same stamp. */
async function fileClockPast(scratch: string, file: string): Promise<void> {
  const before = fs.statSync(file, { bigint: true });
  const probe = path.join(scratch, 'clock-probe');
  await waitFor(() => {
    fs.writeFileSync(probe, '');
    const t = fs.statSync(probe, { bigint: true }).mtimeNs;
    return t > before.mtimeNs && t > before.ctimeNs;
  }, 'the file clock to move on');
}

const folderOf = (root: string, runId: string, type: string) => path.join(root, fs.readdirSync(root).find((f) => f.startsWith(`${runId}-${type}-`))!);
const metadataOf = (folder: string) => path.join(folder, fs.readdirSync(folder).find((f) => f.endsWith('-metadata.json'))!);

describe('DatasetCache', () => {
  test('keeps an unchanged dataset once it has settled, and nothing that changed within the last seconds', async () => {
    const root = makeTmpDir('daqflow-dscache-');
    const layout = hitDtype();
    await writeDataset(root, '012200', 'hits', layout, makeRows(layout, 100), 50);
    const folder = folderOf(root, '012200', 'hits');
    const clock = testClock();
    const cache = new DatasetCache(1000, clock.now);
    const fresh = cache.inspect(folder)!;
    expect(fresh.state).toBe('complete');
    expect(cache.size).toBe(0); // not yet settled: its file times could still tick in the same step as a next change
    expect(cache.inspect(folder)).not.toBe(fresh);
    clock.later();
    const kept = cache.inspect(folder)!;
    expect(cache.size).toBe(1);
    expect(cache.inspect(folder)).toBe(kept);
    expect(kept.metadata!.chunks.map((c) => c.n)).toEqual([50, 50]);
  });

  test('holds at most maxEntries datasets, dropping the least recently used', async () => {
    const root = makeTmpDir('daqflow-dscache-');
    const layout = hitDtype();
    for (const run of ['012201', '012202', '012203']) await writeDataset(root, run, 'hits', layout, makeRows(layout, 10), 10);
    const clock = testClock();
    clock.later();
    const cache = new DatasetCache(2, clock.now);
    const [a, b, c] = ['012201', '012202', '012203'].map((run) => folderOf(root, run, 'hits'));
    const first = cache.inspect(a!);
    cache.inspect(b!);
    expect(cache.inspect(a!)).toBe(first); // a is now the most recently used
    cache.inspect(c!); // drops b
    expect(cache.size).toBe(2);
    expect(cache.inspect(a!)).toBe(first);
  });

  test('a folder that is gone is an ENOENT, as for an uncached inspection', () => {
    const cache = new DatasetCache();
    expect(() => cache.inspect(path.join(makeTmpDir('daqflow-dscache-'), '012204-hits-aaaaaaaaaa'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('GET /get_data with cached datasets', () => {
  let world: ServeWorld;
  let server: RunningServer;
  const clock = testClock();
  const cache = new DatasetCache(1000, clock.now);
  const layout = hitDtype();

  beforeAll(async () => {
    world = await serveWorld({ peaks: 10, hits: 10 });
    server = await startServe({ config: worldConfig(world), logger: memoryLogger(), datasets: cache });
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function npy(runId: string): Promise<{ status: number; rows: Buffer; error?: string }> {
    const res = await fetch(`${server.url}/get_data?run_id=${runId}&target=hits&max_n=0&format=npy`);
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) return { status: res.status, rows: body, error: JSON.parse(body.toString('utf8')).error };
    return { status: res.status, rows: readNpy(body).data };
  }

  /** Writes run `runId`'s hits, serves them once so the dataset is cached, and checks that it was. */
  async function cached(runId: string, rows: Uint8Array): Promise<string> {
    await writeDataset(world.roots[0], runId, 'hits', layout, rows, 100);
    clock.later();
    const before = cache.size;
    const r = await npy(runId);
    expect(r.status).toBe(200);
    expect(Buffer.compare(r.rows, Buffer.from(rows))).toBe(0);
    expect(cache.size).toBe(before + 1);
    return folderOf(world.roots[0], runId, 'hits');
  }

  test('a dataset replaced under the same name is served with its new rows', async () => {
    const folder = await cached('012300', makeRows(layout, 300, 21));
    await fileClockPast(world.dir, metadataOf(folder));
    fs.rmSync(folder, { recursive: true });
    const replacement = makeRows(layout, 250, 22);
    await writeDataset(world.roots[0], '012300', 'hits', layout, replacement, 100);
    expect(folderOf(world.roots[0], '012300', 'hits')).toBe(folder); // same lineage, same folder name
    const r = await npy('012300');
    expect(r.status).toBe(200);
    expect(Buffer.compare(r.rows, Buffer.from(replacement))).toBe(0);
  });

  test('a cached dataset that loses a chunk file is refused as incomplete', async () => {
    const folder = await cached('012301', makeRows(layout, 300, 23));
    await fileClockPast(world.dir, folder);
    const chunk = fs.readdirSync(folder).find((f) => /-000001$/.test(f))!;
    fs.rmSync(path.join(folder, chunk));
    const r = await npy('012301');
    expect(r.status).toBe(404);
    expect(r.error).toMatch(/012301-hits: not available .*missing chunk files: .*000001/);
  });

  test('a cached dataset whose metadata is rewritten in place (a crash recorded) is refused', async () => {
    const folder = await cached('012302', makeRows(layout, 300, 24));
    const file = metadataOf(folder);
    await fileClockPast(world.dir, file);
    const md = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(file, JSON.stringify({ ...md, exception: 'Traceback (most recent call last):\nRuntimeError: disk full' }));
    const r = await npy('012302');
    expect(r.status).toBe(404);
    expect(r.error).toMatch(/012302-hits: not available .*crashed.*disk full/);
  });
});
