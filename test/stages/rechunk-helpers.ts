// A rechunk world: source and destination folders, a config file, a sqlite runs DB; datasets from strax or daqflow.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { memoryLogger } from '../../src/log/index.js';
import { openRunStore, type RunStore } from '../../src/rundb/index.js';
import { runRechunk, type RechunkOptions } from '../../src/stages/rechunk.js';
import type { RecordLayout } from '../../src/strax/dtype/layout.js';
import { recordDtype } from '../../src/strax/dtype/standard.js';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import type { StoredDataset } from '../../src/strax/storage/dataset.js';
import type { CompressorName } from '../../src/strax/compress/types.js';
import { FIXTURES } from '../strax/fixtures.js';
import { synthRows } from '../strax/synth.js';
import { makeTmpDir } from '../support/tmp.js';

export interface RechunkWorld {
  dir: string;
  source: string;
  dest: string;
  configFile: string;
}

/** Folders and a config whose `rechunk:` block holds `extra` (YAML lines, indented by two). */
export function rechunkWorld(extra: string[] = []): RechunkWorld {
  const dir = makeTmpDir('daqflow-rechunk-');
  const source = path.join(dir, 'pre_processed');
  const dest = path.join(dir, 'production');
  fs.mkdirSync(source);
  fs.mkdirSync(dest);
  const configFile = path.join(dir, 'config.yaml');
  const block = [`source_dir: ${source}`, `dest_dir: ${dest}`, ...extra].map((l) => `  ${l}\n`).join('');
  fs.writeFileSync(configFile, `work_dir: ${dir}/work\nhost: test-host\nrechunk:\n${block}`);
  return { dir, source, dest, configFile };
}

/** Copy a strax fixture root's data folders into `root`. */
export function addFixture(root: string, name: string): void {
  for (const e of fs.readdirSync(path.join(FIXTURES, name), { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    fs.cpSync(path.join(FIXTURES, name, e.name), path.join(root, e.name), { recursive: true });
  }
}


/** A dataset as daqflow's live path writes it: many small chunks (`rowsPerChunk` rows) with a fast compressor. */
export async function writeDaqflowDataset(root: string, o: { runId: string; dataType: string; rows: number; rowsPerChunk: number; compressor?: CompressorName; seed?: number; extra?: Record<string, string> }): Promise<{ layout: RecordLayout; rows: Uint8Array }> {
  const layout = recordDtype();
  const rows = synthRows(layout, o.rows, o.seed ?? 7);
  const saver = await new DataDirectory(root).save({
    runId: o.runId, dataType: o.dataType, dtype: layout, lineage: { [o.dataType]: ['Synth', '0.0.1', {}] }, compressor: o.compressor ?? 'lz4', extra: o.extra,
  });
  const view = new DataView(rows.buffer);
  const time = (i: number) => view.getBigInt64(i * layout.itemsize, true);
  let start = time(0);
  for (let i = 0; i < o.rows; i += o.rowsPerChunk) {
    const last = i + o.rowsPerChunk >= o.rows;
    const end = last ? time(o.rows - 1) + 10_000n : time(i + o.rowsPerChunk) - 1n;
    await saver.save({ start, end, data: rows.subarray(i * layout.itemsize, Math.min(o.rows, i + o.rowsPerChunk) * layout.itemsize) });
    start = end;
  }
  await saver.close();
  return { layout, rows };
}

export function only(root: string, dataType?: string): StoredDataset[] {
  return new DataDirectory(root).list({ dataType });
}

export async function withRechunk<T>(world: RechunkWorld, fn: (store: RunStore, base: Omit<RechunkOptions, 'mode'>) => Promise<T>): Promise<T> {
  const { config } = loadConfig({ configPath: world.configFile, env: {} });
  const store = await openRunStore(config);
  try {
    return await fn(store, { config, logger: memoryLogger(), store, handleSignals: false });
  } finally {
    await store.close();
  }
}

/** Run once with the config and a fresh store. */
export function rechunkOnce(world: RechunkWorld, options: Partial<RechunkOptions> = {}) {
  return withRechunk(world, (_store, base) => runRechunk({ ...base, mode: 'full', ...options }));
}
