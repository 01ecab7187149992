// A serve world: a config with two storage roots and a sqlite runs DB, peaks and hits of run 012100 with known
// times and values, a dataset still being written, and helpers to start the server in-process.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/schema.js';
import { memoryLogger } from '../../src/log/index.js';
import { openRunStore, type RunStore } from '../../src/rundb/index.js';
import { startServe, type RunningServer } from '../../src/serve/run-serve.js';
import type { RecordLayout } from '../../src/strax/dtype/layout.js';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { hitDtype, peakDtype } from '../../src/strax/dtype/standard.js';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import type { DatasetSaver } from '../../src/strax/storage/saver.js';
import { synthRows } from '../strax/synth.js';
import { makeTmpDir } from '../support/tmp.js';

/** Run 012100 starts at this whole second; its rows begin 1 s later, one every millisecond. */
export const RUN_START = new Date('2024-04-05T19:34:38Z');
export const RUN_START_NS = BigInt(RUN_START.getTime()) * 1_000_000n;
export const ROW_SPACING_NS = 1_000_000;

export interface ServeWorld {
  dir: string;
  configFile: string;
  roots: [string, string];
  peaks: { layout: RecordLayout; rows: Uint8Array };
  hits: { layout: RecordLayout; rows: Uint8Array };
  /** The saver of run 012101's peaks, left open (the dataset is being written). */
  writing: DatasetSaver;
}

/** Rows of `layout` from run start + 1 s, `area` = i and `type` = i % 3 where the layout has them. */
export function makeRows(layout: RecordLayout, n: number, seed = 3): Uint8Array {
  const rows = synthRows(layout, n, seed, RUN_START_NS + 1_000_000_000n, ROW_SPACING_NS);
  const view = new RecordView(layout, rows);
  for (let i = 0; i < n; i++) {
    if (layout.has('area')) view.set(i, 'area', i);
    if (layout.has('type')) view.set(i, 'type', i % 3);
  }
  return rows;
}

export async function writeDataset(root: string, runId: string, dataType: string, layout: RecordLayout, rows: Uint8Array, rowsPerChunk: number, close = true, version = '0.0.1'): Promise<DatasetSaver> {
  const saver = await new DataDirectory(root).save({ runId, dataType, dtype: layout, lineage: { [dataType]: ['Synth', version, {}] }, compressor: 'lz4' });
  const n = rows.length / layout.itemsize;
  const view = new RecordView(layout, rows);
  let start = RUN_START_NS;
  for (let i = 0; i < n; i += rowsPerChunk) {
    const last = i + rowsPerChunk >= n;
    const end = last ? view.endtime(n - 1) + 1000n : view.time(i + rowsPerChunk);
    await saver.save({ start, end, data: rows.subarray(i * layout.itemsize, Math.min(n, i + rowsPerChunk) * layout.itemsize) });
    start = end;
  }
  if (close) await saver.close();
  return saver;
}

export async function serveWorld(options: { peaks?: number; hits?: number; serveYaml?: string[] } = {}): Promise<ServeWorld> {
  const dir = makeTmpDir('daqflow-serve-');
  const roots: [string, string] = [path.join(dir, 'fast'), path.join(dir, 'bulk')];
  for (const r of roots) fs.mkdirSync(r);
  const configFile = path.join(dir, 'config.yaml');
  const serve = (options.serveYaml ?? []).map((l) => `  ${l}\n`).join('');
  fs.writeFileSync(configFile, `work_dir: ${dir}/work\nhost: serve-host\nstorage:\n  dirs: [${roots[0]}, ${roots[1]}]\nserve:\n  port: 0\n${serve}`);
  const peakLayout = peakDtype();
  const hitLayout = hitDtype();
  const peaks = { layout: peakLayout, rows: makeRows(peakLayout, options.peaks ?? 1000) };
  const hits = { layout: hitLayout, rows: makeRows(hitLayout, options.hits ?? 1000, 5) };
  await writeDataset(roots[0], '012100', 'peaks', peaks.layout, peaks.rows, 100);
  await writeDataset(roots[1], '012100', 'hits', hits.layout, hits.rows, 250);
  const writing = await writeDataset(roots[1], '012101', 'peaks', peaks.layout, peaks.rows.subarray(0, 300 * peaks.layout.itemsize), 100, false);
  const { config } = loadConfig({ configPath: configFile, env: {} });
  const store = await openRunStore(config);
  try {
    for (const n of [12100, 12101, 12102]) await store.upsertRun({ number: n, name: String(n).padStart(6, '0'), start: n === 12100 ? RUN_START : new Date(RUN_START.getTime() + (n - 12100) * 3600_000), mode: 'background' });
    await store.updateStage(12101, 'process', { set: { state: 'failed', reason: 'test failure' } });
    await store.updateStage(12100, 'process', { set: { state: 'done' } });
  } finally {
    await store.close();
  }
  return { dir, configFile, roots, peaks, hits, writing };
}

export function worldConfig(world: ServeWorld, sets: string[] = [], env: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({ configPath: world.configFile, env, sets }).config;
}

export async function startWorld(world: ServeWorld, sets: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningServer & { store: RunStore }> {
  const config = worldConfig(world, sets, env);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await startServe({ config, logger: memoryLogger() });
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
  }
}

/** Parse a .npy body (format 1.0/2.0): the header dict text and the raw row bytes. */
export function readNpy(body: Buffer): { header: string; descr: string; shape: number[]; data: Buffer } {
  if (body.subarray(0, 6).toString('latin1') !== '\x93NUMPY') throw new Error('not an .npy file');
  const major = body[6]!;
  const len = major === 1 ? body.readUInt16LE(8) : body.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = body.subarray(start, start + len).toString('latin1');
  if ((start + len) % 64 !== 0) throw new Error('data not 64-byte aligned');
  const descr = /'descr': (\[.*\]), 'fortran_order'/.exec(header)![1]!;
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1]!.split(',').filter((s) => s.trim()).map(Number);
  return { header, descr, shape, data: body.subarray(start + len) };
}
