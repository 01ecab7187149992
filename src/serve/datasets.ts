// Find a run's stored datasets across the configured storage roots, read-only, through the strax storage API.
import { DataNotAvailableError } from '../errors.js';
import { DataDirectory, type DataDirectoryOptions } from '../strax/storage/data-directory.js';
import type { StoredDataset } from '../strax/storage/dataset.js';
import { summarise, type DatasetSummary } from '../stages/data.js';
import { pyJsonDumps } from '../strax/json/py-json.js';
import { RequestError } from './request-error.js';

/**
 * The dataset to serve for run + type (+ lineage hash): the complete one; with allowIncomplete also one still being
 * written (never a crashed or broken one). Several lineages without a hash is a 409 listing them; nothing usable is a
 * DataNotAvailableError saying why. `inspect` is how each data folder is read (a DatasetCache's, in the server).
 */
export function findServable(roots: readonly string[], runId: string, dataType: string, allowIncomplete: boolean, lineage: string | null = null, inspect?: DataDirectoryOptions['inspect']): StoredDataset {
  const stored: StoredDataset[] = [];
  for (const root of roots) {
    const dir = new DataDirectory(root, { inspect });
    try {
      stored.push(...dir.list({ run: runId, dataType }));
    } catch (error) {
      if (!(error instanceof DataNotAvailableError)) throw error; // a root that does not exist holds nothing
    }
  }
  const found = lineage === null ? stored : stored.filter((d) => d.lineageHash === lineage);
  const key = lineage === null ? `${runId}-${dataType}` : `${runId}-${dataType}-${lineage}`;
  const pick = (ok: (d: StoredDataset) => boolean): StoredDataset | undefined => {
    const usable = found.filter(ok);
    const hashes = [...new Set(usable.map((d) => d.lineageHash))].sort();
    if (hashes.length > 1) {
      throw new RequestError(409, `${key}: several lineages stored (${hashes.join(', ')}); choose one with lineage=<hash>`);
    }
    return usable[0];
  };
  const complete = pick((d) => d.state === 'complete');
  if (complete) return complete;
  if (allowIncomplete) {
    const writing = pick((d) => d.state === 'writing' && d.metadata !== undefined);
    if (writing) return writing;
  }
  if (found.length === 0) {
    const others = [...new Set(stored.map((d) => d.lineageHash))].sort();
    throw new DataNotAvailableError(key, others.length ? `stored lineages: ${others.join(', ')}` : `not stored in ${roots.join(', ')}`);
  }
  const why = found.map((d) => `${d.state}${d.reason ? ` (${d.reason})` : ''}`).join('; ');
  const hint = !allowIncomplete && found.some((d) => d.state === 'writing') ? '; add allow_incomplete=true to read what is written so far' : '';
  throw new DataNotAvailableError(key, `no complete dataset: ${why}${hint}`);
}

export interface DatasetListing extends Omit<DatasetSummary, 'path'> {
  root: string;
  size_mb: number;
  lineage: unknown;
}

/** Every dataset of one run in every root, with rows, chunks, size and lineage (paths are not shown). */
export function listRunDatasets(roots: readonly string[], runId: string): DatasetListing[] {
  const out: DatasetListing[] = [];
  for (const root of roots) {
    const dir = new DataDirectory(root);
    let listed: StoredDataset[];
    try {
      listed = dir.list({ run: runId });
    } catch (error) {
      if (error instanceof DataNotAvailableError) continue;
      throw error;
    }
    for (const ds of listed) {
      const { path: _path, ...summary } = summarise(ds);
      const nbytes = ds.metadata?.chunks.reduce((a, c) => a + c.nbytes, 0) ?? 0;
      out.push({ ...summary, root: dir.root, size_mb: nbytes / 1e6, lineage: lineageOf(ds) });
    }
  }
  return out;
}

function lineageOf(ds: StoredDataset): unknown {
  if (ds.metadata?.lineage === undefined) return null;
  return JSON.parse(pyJsonDumps(ds.metadata.lineage));
}
