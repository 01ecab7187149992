// Inspect one strax data folder: its key, metadata, completeness state, chunk files present and size on disk.
import fs from 'node:fs';
import path from 'node:path';
import { DaqflowError } from '../../errors.js';
import { findMetadataFile, parseFolderName, type DatasetKey } from './names.js';
import { parseMetadata, type DatasetMetadata } from './metadata.js';

/** complete: writing_ended, no exception; writing: `_temp` folder or no writing_ended; crashed: `exception` recorded;
 *  incomplete: metadata missing/unreadable or chunk files it lists are missing. */
export type DatasetState = 'complete' | 'writing' | 'crashed' | 'incomplete';

export interface StoredDataset extends DatasetKey {
  /** `<run>-<type>-<hash>` (without `_temp`). */
  folderName: string;
  /** The folder as found (ends in `_temp` while writing). */
  path: string;
  temp: boolean;
  metadataPath: string | undefined;
  metadata: DatasetMetadata | undefined;
  state: DatasetState;
  /** Why the dataset is not complete (one line), if it is not. */
  reason?: string;
  /** Bytes of all files in the folder. */
  sizeOnDisk: number;
  /** Chunk files named in the metadata that are not in the folder. */
  missingFiles: string[];
}

export function inspectDataset(folder: string): StoredDataset | undefined {
  const key = parseFolderName(path.basename(folder));
  if (!key) return undefined;
  const { temp, ...rest } = key;
  const base: StoredDataset = {
    ...rest,
    folderName: path.basename(folder).replace(/_temp$/, ''),
    path: folder,
    temp,
    metadataPath: undefined,
    metadata: undefined,
    state: 'incomplete',
    sizeOnDisk: 0,
    missingFiles: [],
  };
  const files = new Set<string>();
  for (const e of fs.readdirSync(folder, { withFileTypes: true })) {
    if (!e.isFile()) continue;
    // A chunk's `<name>_temp` may be renamed between readdir and stat by a writer that is still at work.
    const size = fs.statSync(path.join(folder, e.name), { throwIfNoEntry: false })?.size;
    if (size === undefined) continue;
    files.add(e.name);
    base.sizeOnDisk += size;
  }
  base.metadataPath = findMetadataFile(folder);
  if (!base.metadataPath) return { ...base, reason: 'no metadata file' };
  try {
    base.metadata = parseMetadata(fs.readFileSync(base.metadataPath, 'utf8'), base.metadataPath);
  } catch (error) {
    return { ...base, reason: error instanceof DaqflowError ? error.shortMessage : String(error) };
  }
  const md = base.metadata;
  base.missingFiles = md.chunks.filter((c) => c.n > 0 && (c.filename === undefined || !files.has(c.filename))).map((c) => c.filename ?? `chunk ${c.chunk_i}`);
  if (md.exception !== undefined) return { ...base, state: 'crashed', reason: `writer failed: ${exceptionSummary(md.exception)}` };
  if (temp) return { ...base, state: 'writing', reason: 'still in its _temp folder (being written, or the writer died)' };
  if (md.writing_ended === undefined) return { ...base, state: 'writing', reason: 'no writing_ended (being written, or the writer died)' };
  if (base.missingFiles.length > 0) return { ...base, state: 'incomplete', reason: `missing chunk files: ${base.missingFiles.join(', ')}` };
  return { ...base, state: 'complete' };
}

/** The line that says what went wrong: a Python traceback ends with it; a JavaScript stack starts with it. */
function exceptionSummary(text: string): string {
  const lines = text.trimEnd().split('\n');
  const firstFrame = lines.findIndex((l) => /^\s+at /.test(l));
  if (firstFrame > 0) return lines.slice(0, firstFrame).map((l) => l.trim()).join(' ');
  return lines[lines.length - 1]!.trim();
}

/** Total rows of a dataset according to its metadata. */
export function rowCount(ds: StoredDataset): number {
  return ds.metadata?.chunks.reduce((a, c) => a + c.n, 0) ?? 0;
}
