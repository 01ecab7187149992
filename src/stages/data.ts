// `daqflow data`: list and verify strax datasets under a storage root, returning typed summaries (never printing).
import { DataDirectory } from '../strax/storage/data-directory.js';
import { rowCount, type DatasetState, type StoredDataset } from '../strax/storage/dataset.js';
import { verifyDataset, type VerifyProblem } from './data/verify-dataset.js';

export interface DatasetSummary {
  run: string;
  dataType: string;
  hash: string;
  /** Folder path as found (ends in `_temp` while being written). */
  path: string;
  state: DatasetState;
  reason: string | null;
  chunks: number;
  rows: number;
  sizeOnDisk: number;
  compressor: string | null;
}

export interface ListDataOptions {
  run?: string;
}

export interface ListDataSummary {
  root: string;
  datasets: DatasetSummary[];
}

export interface DatasetVerification extends DatasetSummary {
  ok: boolean;
  problems: VerifyProblem[];
  warnings: VerifyProblem[];
  checkedChunks: number;
  fieldSums?: Record<string, string>;
  recomputedHash?: string;
}

export interface VerifyDataOptions {
  run?: string;
  /** Also recompute field sums and the lineage hash. */
  deep?: boolean;
}

export interface VerifyDataSummary {
  root: string;
  deep: boolean;
  datasets: DatasetVerification[];
  ok: number;
  broken: number;
  /** Every file with a problem, once each, sorted. */
  brokenFiles: string[];
}

/** One dataset's listing row (as `daqflow data ls` shows it). */
export function summarise(ds: StoredDataset): DatasetSummary {
  return {
    run: ds.runId,
    dataType: ds.dataType,
    hash: ds.lineageHash,
    path: ds.path,
    state: ds.state,
    reason: ds.reason ?? null,
    chunks: ds.metadata?.chunks.length ?? 0,
    rows: rowCount(ds),
    sizeOnDisk: ds.sizeOnDisk,
    compressor: ds.metadata?.compressor ?? null,
  };
}

/** Every strax dataset under `root` (optionally one run) with its state, chunks, rows, size and compressor. */
export function listData(root: string, options: ListDataOptions = {}): ListDataSummary {
  const dir = new DataDirectory(root);
  return { root: dir.root, datasets: dir.list({ run: options.run }).map(summarise) };
}

/** Check every dataset under `root`; a dataset with any problem (or not complete) is broken. */
export async function verifyData(root: string, options: VerifyDataOptions = {}): Promise<VerifyDataSummary> {
  const dir = new DataDirectory(root);
  const datasets: DatasetVerification[] = [];
  for (const ds of dir.list({ run: options.run })) {
    const check = await verifyDataset(ds, options.deep ?? false);
    datasets.push({ ...summarise(ds), ok: check.problems.length === 0, ...check });
  }
  const brokenFiles = [...new Set(datasets.flatMap((d) => d.problems.map((p) => p.file)))].sort();
  const broken = datasets.filter((d) => !d.ok).length;
  return { root: dir.root, deep: options.deep ?? false, datasets, ok: datasets.length - broken, broken, brokenFiles };
}
