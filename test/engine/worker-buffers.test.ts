// Buffers handed to worker threads: a transferred ArrayBuffer is detached on this side, so the executor may move only
// what a task owns alone; everything else is copied. Found by the disk-full test's retry, which resumed from a stored
// product (its rows a Buffer subarray: Buffer#slice is a view, not a copy) and crashed on a detached buffer.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, RUN, cli, makeLiveRun, rowsOf } from './helpers.js';
import { makeTmpDir } from '../support/tmp.js';

type ExecutorModule = typeof import('../../src/strax/engine/executor.js');
const DIST_EXECUTOR = path.join(REPO, 'dist', 'strax', 'engine', 'executor.js');

/** The compiled executor: its worker threads run dist/strax/engine/worker.js. */
async function workerExecutor(): Promise<InstanceType<ExecutorModule['WorkerExecutor']>> {
  if (!fs.existsSync(DIST_EXECUTOR)) throw new Error(`${DIST_EXECUTOR} is missing: build with npx tsc -p tsconfig.json first`);
  const { WorkerExecutor } = (await import(pathToFileURL(DIST_EXECUTOR).href)) as ExecutorModule;
  return new WorkerExecutor(1, []);
}

const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

describe('worker executor: what the caller still holds stays usable', () => {
  it('a Buffer subarray (part of a stored chunk) is copied, not transferred: the rest of its chunk survives', async () => {
    const executor = await workerExecutor();
    try {
      const chunk = Buffer.from(pattern(4096, 1));
      const given = chunk.subarray(0, 1024);
      const rest = chunk.subarray(1024);
      await executor.compress({ compressor: 'zstd', parts: [given] });
      await executor.run({ range: { runId: RUN, start: 0n, end: 1n }, inputs: { hits: chunk.subarray(0, 2048) } });
      expect(chunk.buffer.byteLength).toBe(chunk.byteOffset + 4096);
      expect(Buffer.compare(rest, Buffer.from(pattern(4096, 1).subarray(1024)))).toBe(0);
      expect(Buffer.compare(given, Buffer.from(pattern(1024, 1)))).toBe(0);
    } finally {
      await executor.close();
    }
  });

  it('whole-buffer rows are moved only when handed over; otherwise the caller keeps them', async () => {
    const executor = await workerExecutor();
    try {
      const kept = pattern(2048, 2);
      const given = pattern(2048, 3);
      await executor.compress({ compressor: 'zstd', parts: [kept] });
      await executor.run({ range: { runId: RUN, start: 0n, end: 1n }, inputs: { peaklets: kept } });
      expect(kept).toEqual(pattern(2048, 2));
      await executor.compress({ compressor: 'zstd', parts: [given], handOver: true });
      expect(given.byteLength).toBe(0); // moved: the proof that hand-over really transfers
      const input = pattern(512, 4);
      await executor.run({ range: { runId: RUN, start: 0n, end: 1n }, inputs: { 'live:raw_records': input, peaklets: kept }, handOver: ['live:raw_records'] });
      expect(input.byteLength).toBe(0);
      expect(kept).toEqual(pattern(2048, 2));
    } finally {
      await executor.close();
    }
  });
});

describe('worker executor: rows in shared memory', () => {
  it('are posted as they are (neither copied nor moved): the worker reads the caller\'s bytes, the caller keeps its view', async () => {
    const { ownBuffers } = (await import(pathToFileURL(DIST_EXECUTOR).href)) as ExecutorModule;
    const shared = new Uint8Array(new SharedArrayBuffer(4096), 1024, 2048);
    shared.set(pattern(2048, 5));
    const transfer: ArrayBuffer[] = [];
    const posted = ownBuffers({ records: shared }, transfer, true);
    expect(posted.records).toBe(shared);
    expect(transfer).toEqual([]);
    const executor = await workerExecutor();
    try {
      const frame = await executor.compress({ compressor: 'zstd', parts: [shared], handOver: true });
      const { zstdCompressor } = await import('../../src/strax/compress/zstd.js');
      expect(Buffer.compare(Buffer.from(await zstdCompressor().decompress(frame, 2048)), Buffer.from(pattern(2048, 5)))).toBe(0);
      expect(shared.byteLength).toBe(2048);
      expect([...shared.subarray(0, 4)]).toEqual([...pattern(4, 5)]);
    } finally {
      await executor.close();
    }
  });
});

describe('worker executor: the last compressions', () => {
  // On one core there are no cores to share: the frame stays single-threaded there.
  it('use zstd\'s threads for a large frame when no segment is left (more than one core): the threaded frame, not the single-threaded one', async () => {
    const { compressParts } = (await import(pathToFileURL(DIST_EXECUTOR).href)) as ExecutorModule;
    // 12 MB of rows that compress (as hits do): above the size where zstd's threads take a frame.
    const rows = new Uint8Array(12e6);
    for (let i = 0; i < rows.length; i += 4) rows[i] = (i * 2654435761) >>> 27;
    const task = { compressor: 'zstd' as const, level: 1, parts: [rows] };
    const [threaded, single] = await Promise.all([compressParts(task, 2), compressParts(task, 0)]);
    expect(Buffer.compare(Buffer.from(threaded), Buffer.from(single))).not.toBe(0);
    const executor = await workerExecutor();
    try {
      const frame = await executor.compress({ ...task, parts: [rows] });
      expect(Buffer.compare(Buffer.from(frame), Buffer.from(os.availableParallelism() > 1 ? threaded : single))).toBe(0);
    } finally {
      await executor.close();
    }
  });
});

describe('straxer with 2 workers resuming from stored products', () => {
  let live: string;
  let reference: string;
  beforeAll(async () => {
    live = await makeLiveRun({ sizeMb: 6, seed: 5, chunkMb: 1.5 });
    reference = makeTmpDir();
    const r = cli('straxer', [RUN, '--target', 'peaks', '--target', 'hits', '--live', live, '--storage', reference, '--workers', '1'], reference);
    expect(r.code, r.stderr).toBe(0);
  });

  for (const stored of ['hits', 'peaklets']) {
    it(`stored ${stored} are loaded and the rest computed: exit 0 and the same rows as one worker from scratch`, async () => {
      const storage = makeTmpDir();
      const first = cli('straxer', [RUN, '--target', stored, '--live', live, '--storage', storage, '--workers', '2'], storage);
      expect(first.code, first.stderr).toBe(0);
      const again = cli('straxer', [RUN, '--target', 'peaks', '--target', 'hits', '--live', live, '--storage', storage, '--workers', '2', '--json'], storage);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ workers: 2, loaded: expect.arrayContaining([stored]) });
      for (const t of ['hits', 'peaks']) expect(Buffer.compare(Buffer.from(await rowsOf(storage, t)), Buffer.from(await rowsOf(reference, t))), t).toBe(0);
    });
  }
});
