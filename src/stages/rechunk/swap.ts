// After the new copy is in place: point the runs DB at it (targeted updates only), then remove the source.
import fs from 'node:fs/promises';
import type { RunStore } from '../../rundb/index.js';
import type { DataEntry } from '../../rundb/types.js';
import type { StoredDataset } from '../../strax/storage/dataset.js';

export interface Registration {
  store: RunStore;
  run: number;
  host: string;
}

/**
 * Moves the run's data entry from the source folder to the new copy: the source's entry (same type, host and
 * location; other software's entries are never touched) goes to `deleted_data`, then the new entry is added with the
 * source entry's other fields and the new location, compressor, n_chunks and size. Removing first means a crash in
 * between leaves no entry (the next pass adds it) rather than two. Both steps are no-ops when already done.
 */
export async function register(r: Registration, source: { type: string; location: string }, copy: StoredDataset): Promise<'moved' | 'added' | 'no run'> {
  const doc = await r.store.getRun(r.run);
  if (!doc) return 'no run';
  const old = (doc.data ?? []).find((e) => e.type === source.type && e.host === r.host && e.location === source.location);
  if (old) await r.store.removeData(r.run, { type: source.type, host: r.host, location: source.location }, { by: 'daqflow rechunk', reason: `rechunked to ${copy.path}` });
  const { at: _at, ...kept } = old ?? ({} as Partial<DataEntry>);
  const md = copy.metadata!;
  const entry: DataEntry = {
    ...kept,
    type: source.type, host: r.host, location: copy.path, lineage_hash: copy.lineageHash,
    compressor: md.compressor, n_chunks: md.chunks.length, size_mb: copy.sizeOnDisk / 1e6, at: new Date(),
  };
  await r.store.addData(r.run, entry);
  return old ? 'moved' : 'added';
}

/**
 * Removes the source folder: its metadata file first, so a crash half-way leaves a folder that is plainly not a
 * dataset (and that the next pass finishes removing, the new copy being complete), then everything else.
 */
export async function removeSource(src: { path: string; metadataPath?: string }): Promise<void> {
  if (src.metadataPath) await fs.rm(src.metadataPath, { force: true });
  await fs.rm(src.path, { recursive: true, force: true });
}

