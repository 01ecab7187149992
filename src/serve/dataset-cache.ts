// Inspected datasets kept between requests, one per data folder, and inspected again whenever the folder's entries
// or its metadata file have changed: a rewritten or replaced dataset is never served stale, and an unchanged one
// costs two stat calls instead of a folder listing, a stat per file and parsing its metadata.
import fs from 'node:fs';
import { inspectDataset, type StoredDataset } from '../strax/storage/dataset.js';
import { findMetadataFile } from '../strax/storage/names.js';

/**
 * Folders or metadata files changed less than this long ago are inspected but not kept: file times tick coarsely
 * (milliseconds), so a second change within the same tick would leave them equal (git's "racily clean" index
 * entries). Anything older can only change to a newer time.
 */
const SETTLED_MS = 2000;

interface Entry {
  stamp: string;
  ds: StoredDataset;
}

export class DatasetCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** As inspectDataset (ENOENT when the folder is gone), from the cache when nothing has changed. */
  inspect(folder: string): StoredDataset | undefined {
    const { stamp, changedMs } = stampOf(folder);
    const hit = this.entries.get(folder);
    this.entries.delete(folder);
    if (hit && hit.stamp === stamp) {
      this.entries.set(folder, hit); // most recently used last
      return hit.ds;
    }
    const ds = inspectDataset(folder);
    if (ds && changedMs < this.now() - SETTLED_MS) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(folder, { stamp, ds });
    }
    return ds;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** What changes when a file is added, removed or renamed in the folder, or the metadata file is (re)written. */
function stampOf(folder: string): { stamp: string; changedMs: number } {
  const dir = fs.statSync(folder, { bigint: true });
  const metadataPath = findMetadataFile(folder);
  const md = metadataPath === undefined ? undefined : fs.statSync(metadataPath, { bigint: true, throwIfNoEntry: false });
  const parts = [dir.ino, dir.mtimeNs, dir.ctimeNs];
  if (md) parts.push(md.ino, md.size, md.mtimeNs, md.ctimeNs);
  const newestNs = [dir.mtimeNs, dir.ctimeNs, md?.mtimeNs ?? 0n, md?.ctimeNs ?? 0n].reduce((a, b) => (b > a ? b : a));
  return { stamp: `${metadataPath ?? ''}|${parts.join(':')}`, changedMs: Number(newestNs / 1_000_000n) };
}
