// rechunk in place (rechunk.dest_dir null, restrax's default): the new copy replaces the old one in the source folder.
// The new copy is written and verified in the staging folder `<source>/.daqflow-rechunk` (not a dataset name, so strax
// and daqflow readers never see it), then swapped in with two renames:
//   1. <source>/<name> → staging/<name>.old      2. staging/<name> → <source>/<name>
// then the runs DB entry is updated and the old copy removed. Both copies are complete on disk at every moment; a crash
// between the renames leaves no copy under the dataset's name, which repair() puts back (new one if complete, else old)
// before the run's datasets are looked at again.
import { existsSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RunStore } from '../../rundb/index.js';
import { inspectDataset, type StoredDataset } from '../../strax/storage/dataset.js';
import { parseFolderName } from '../../strax/storage/names.js';
import { inspectDatasetIfAny, runNumberOf } from './datasets.js';
import { register } from './swap.js';

const OLD = '.old';
/** The metadata key a copy rechunked in place carries (strax keeps unknown keys), so later passes leave it alone. */
export const IN_PLACE_MARK = 'daqflow_rechunked_in_place';

export interface InPlace {
  sourceDir: string;
  staging: string;
  store: RunStore;
  host: string;
}

/** Runs with an old copy parked in staging (a swap a crash interrupted), which may have no folder in the source now. */
export function parkedRuns(staging: string): number[] {
  if (!existsSync(staging)) return [];
  return readdirSync(staging)
    .filter((n) => n.endsWith(OLD))
    .map((n) => parseFolderName(n.slice(0, -OLD.length)))
    .map((key) => (key ? runNumberOf(key.runId) : undefined))
    .filter((n): n is number => n !== undefined);
}

export function isRechunkedInPlace(ds: StoredDataset): boolean {
  return ds.metadata?.extra?.[IN_PLACE_MARK] !== undefined;
}

/** Finish or undo every swap of this run that a crash interrupted. Returns a log line per dataset repaired. */
export async function repair(ip: InPlace, run: number): Promise<string[]> {
  const lines: string[] = [];
  if (!existsSync(ip.staging)) return lines;
  for (const name of readdirSync(ip.staging).filter((n) => n.endsWith(OLD)).sort()) {
    const folder = name.slice(0, -OLD.length);
    const key = parseFolderName(folder);
    if (!key || runNumberOf(key.runId) !== run) continue;
    const finalPath = path.join(ip.sourceDir, folder);
    if (!existsSync(finalPath)) {
      const staged = inspectDatasetIfAny(path.join(ip.staging, folder));
      if (staged?.state !== 'complete') {
        await fs.rename(path.join(ip.staging, name), finalPath);
        lines.push(`${folder}: put the old copy back (the new one was not complete)`);
        continue;
      }
      await fs.rename(staged.path, finalPath);
    }
    await finish(ip, folder);
    lines.push(`${folder}: finished an interrupted swap in place`);
  }
  return lines;
}

/** Swap the verified copy in staging in for the source dataset, update the runs DB, remove the old copy. */
export async function swapInPlace(ip: InPlace, src: StoredDataset, copy: StoredDataset): Promise<'moved' | 'added' | 'no run' | 'kept'> {
  await fs.rename(src.path, path.join(ip.staging, src.folderName + OLD));
  await fs.rename(copy.path, src.path);
  return finish(ip, src.folderName);
}

async function finish(ip: InPlace, folder: string): Promise<'moved' | 'added' | 'no run' | 'kept'> {
  const current = inspectDataset(path.join(ip.sourceDir, folder))!;
  const run = runNumberOf(current.runId)!;
  const md = current.metadata!;
  // A repeat after a crash that came after the runs DB write: the entry already describes this copy.
  const doc = await ip.store.getRun(run);
  const entry = doc?.data?.find((e) => e.type === current.dataType && e.host === ip.host && e.location === current.path);
  const outcome = entry && entry.compressor === md.compressor && entry.n_chunks === md.chunks.length ? 'kept' : await register({ store: ip.store, run, host: ip.host }, { type: current.dataType, location: current.path }, current);
  await fs.rm(path.join(ip.staging, folder + OLD), { recursive: true, force: true });
  return outcome;
}

