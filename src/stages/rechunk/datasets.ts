// What a run has in the source folder: its datasets by state, and the facts (data rate) the rules depend on.
import fs from 'node:fs';
import path from 'node:path';
import { inspectDataset, type StoredDataset } from '../../strax/storage/dataset.js';
import { DataDirectory } from '../../strax/storage/data-directory.js';
import { globMatcher } from '../../util/glob.js';

/** Run number of a strax run id ("012345" → 12345); undefined for ids that are not plain digits. */
export function runNumberOf(runId: string): number | undefined {
  if (!/^\d{1,15}$/.test(runId)) return undefined;
  return Number(runId);
}

/** Every run number with at least one data folder (any state) in `root`. */
export function sourceRuns(root: string): number[] {
  const runs = new Set<number>();
  for (const ds of new DataDirectory(root).list()) {
    const n = runNumberOf(ds.runId);
    if (n !== undefined) runs.add(n);
  }
  return [...runs];
}

/** The run's data folders in `root` (the run id may be zero-padded any way). */
export function runDatasets(root: string, run: number): StoredDataset[] {
  return new DataDirectory(root).list().filter((ds) => runNumberOf(ds.runId) === run);
}

/** Uncompressed MB per second of run time over the run's raw data types (0 when there is no time span). */
export function rawRateMbS(datasets: readonly StoredDataset[], rawTypes: readonly string[]): number {
  const isRaw = globMatcher(rawTypes);
  let bytes = 0;
  let start: bigint | undefined;
  let end: bigint | undefined;
  for (const ds of datasets) {
    const md = ds.metadata;
    if (!isRaw(ds.dataType) || !md || md.chunks.length === 0) continue;
    bytes += md.chunks.reduce((a, c) => a + c.nbytes, 0);
    const s = md.chunks[0]!.start;
    const e = md.chunks[md.chunks.length - 1]!.end;
    if (start === undefined || s < start) start = s;
    if (end === undefined || e > end) end = e;
  }
  if (start === undefined || end === undefined || end <= start) return 0;
  return bytes / 1e6 / (Number(end - start) / 1e9);
}

/**
 * The run's data rate as the DAQ recorded it in the run document (restrax's source): the sum of each detector's
 * `rate.<detector>.avg` in MB/s; undefined when the document has none.
 */
export function runDocRateMbS(doc: { [field: string]: unknown } | null): number | undefined {
  const rate = doc?.rate;
  if (!rate || typeof rate !== 'object') return undefined;
  const avgs = Object.values(rate as Record<string, unknown>).map((d) => (d && typeof d === 'object' ? (d as { avg?: unknown }).avg : undefined));
  const numbers = avgs.filter((a): a is number => typeof a === 'number' && Number.isFinite(a));
  return numbers.length ? numbers.reduce((a, b) => a + b, 0) : undefined;
}

/**
 * Whether a dataset still being written (a `_temp` folder, or no writing_ended) has a writer that died: neither the
 * folder nor any file in it changed for `staleH` hours. Writers (strax's and daqflow's) record no pid or lock, but
 * every live one rewrites a chunk file or the metadata at least once per chunk, so age is the evidence there is.
 */
export function staleWriting(ds: StoredDataset, staleH: number, nowMs: number): boolean {
  if (ds.state !== 'writing') return false;
  return nowMs - newestChangeMs(ds.path) > staleH * 3_600_000;
}

function newestChangeMs(folder: string): number {
  let newest = 0;
  const seen = (file: string) => {
    try {
      newest = Math.max(newest, fs.statSync(file).mtimeMs);
    } catch {
      // Renamed or removed meanwhile: a live writer, which the folder's own time shows.
      newest = Number.POSITIVE_INFINITY;
    }
  };
  seen(folder);
  try {
    for (const name of fs.readdirSync(folder)) seen(path.join(folder, name));
  } catch {
    newest = Number.POSITIVE_INFINITY;
  }
  return newest;
}

/** The dataset in `folder`, or undefined when there is no such folder. */
export function inspectDatasetIfAny(folder: string): StoredDataset | undefined {
  try {
    return inspectDataset(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
