// Shared fixtures for engine tests: a small synthetic run, processing in-process, reading products back.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runFakeDaq, type FakeDaqOptions } from '../../src/stages/fake-daq.js';
import { processRun, type ProcessOptions } from '../../src/strax/engine/context.js';
import { defaultRegistry } from '../../src/strax/plugins/index.js';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { readAllRows } from '../../src/strax/storage/chunk-reader.js';
import { makeTmpDir } from '../support/tmp.js';

export const RUN = '012100';

/** DAQ chunk length and overlap of the test runs [s]: runs of a few MB span several chunks. */
export const TEST_DAQ = { daqChunkS: 0.5, daqOverlapS: 0.05 } as const;

export async function makeLiveRun(options: { sizeMb?: number; rateHz?: number; seed?: number; chunkMb?: number; layout?: FakeDaqOptions['layout']; crossBoundaries?: boolean; daq?: { daqChunkS: number; daqOverlapS: number } } = {}): Promise<string> {
  const liveDir = makeTmpDir('daqflow-live-');
  await runFakeDaq({
    runs: [Number(RUN)], liveDir, sizeMb: options.sizeMb ?? 6, rateHz: options.rateHz ?? 8, seed: options.seed ?? 3, chunkMb: options.chunkMb ?? 2,
    layout: options.layout, crossBoundaries: options.crossBoundaries, ...(options.daq ?? TEST_DAQ),
  });
  return liveDir;
}

export function processLive(liveDir: string, storage: string, targets: string[], extra: Partial<ProcessOptions> = {}) {
  return processRun({ runId: RUN, targets, registry: defaultRegistry(), storageDirs: [storage], writeDir: storage, liveDir, workers: 1, ...extra });
}

/** All rows of the complete dataset of `type` in `storage` (exactly one expected). */
export async function rowsOf(storage: string, type: string): Promise<Uint8Array> {
  const dir = new DataDirectory(storage);
  return readAllRows(dir.find(RUN, type));
}

export function folders(storage: string): string[] {
  return fs.existsSync(storage) ? fs.readdirSync(storage).sort() : [];
}

export const REPO = path.resolve(import.meta.dirname, '../..');

/** Run the built CLI (`bin/daqflow.js` or `bin/straxer.js`). */
export function cli(bin: 'daqflow' | 'straxer', args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [path.join(REPO, 'bin', `${bin}.js`), ...args], { cwd, encoding: 'utf8', env: { ...process.env, DAQFLOW_CONFIG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
