// strax names on disk: `<run>-<type>-<hash>` folders, `<type>-<hash>-NNNNNN` chunks, metadata file locations.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../errors.js';

export interface DatasetKey {
  runId: string;
  dataType: string;
  lineageHash: string;
}

export const TEMP_SUFFIX = '_temp';

/** Refuse names strax refuses: a `-` in a run id or data type would break the folder-name split. */
export function validateKeyPart(value: string, what: 'run id' | 'data type' | 'lineage hash'): string {
  if (value === '' || value.includes('-') || value.includes('/') || value.includes('\\') || value.includes('\0') || value.startsWith('.')) {
    throw new ConfigError(
      `${what} ${JSON.stringify(value)} cannot be used in a strax folder name (no '-', '/', leading '.'; use '_' instead of '-')`,
      { context: { option: what } },
    );
  }
  return value;
}

export function folderName(key: DatasetKey): string {
  validateKeyPart(key.runId, 'run id');
  validateKeyPart(key.dataType, 'data type');
  validateKeyPart(key.lineageHash, 'lineage hash');
  return `${key.runId}-${key.dataType}-${key.lineageHash}`;
}

/** `<type>-<hash>`: the folder name minus `_temp` and everything up to the first `-`. */
export function prefixOf(folder: string): string {
  const base = path.basename(folder).replace(/_temp$/, '');
  return base.slice(base.indexOf('-') + 1);
}

export function chunkFileName(prefix: string, chunkI: number): string {
  return `${prefix}-${String(chunkI).padStart(6, '0')}`;
}

export function metadataFileName(prefix: string): string {
  return `${prefix}-metadata.json`;
}

/** Parse a folder basename into its key, or undefined if it is not strax data (must split into exactly 3 parts). */
export function parseFolderName(name: string): (DatasetKey & { temp: boolean }) | undefined {
  const temp = name.endsWith(TEMP_SUFFIX);
  const base = temp ? name.slice(0, -TEMP_SUFFIX.length) : name;
  const parts = base.split('-');
  if (parts.length !== 3 || parts.some((p) => p === '')) return undefined;
  return { runId: parts[0]!, dataType: parts[1]!, lineageHash: parts[2]!, temp };
}

/** Where strax looks for a dataset's metadata, in order: in the folder, in `<folder>_temp`, legacy `metadata.json`. */
export function findMetadataFile(folder: string): string | undefined {
  const final = folder.replace(/_temp$/, '');
  const prefix = prefixOf(folder);
  const candidates = [
    path.join(folder, metadataFileName(prefix)),
    path.join(final, metadataFileName(prefix)),
    path.join(final + TEMP_SUFFIX, metadataFileName(prefix)),
    path.join(folder, 'metadata.json'),
  ];
  return candidates.find((p) => fs.existsSync(p));
}

/**
 * The run numbers (numeric run ids) with a data folder in `root`, read from the folder names alone; `_temp` folders
 * (datasets still being written, or left by a crash) count only with `withTemp`. A missing root has none.
 */
export function runsWithFolders(root: string, withTemp: boolean): Set<number> {
  const runs = new Set<number>();
  if (!fs.existsSync(root)) return runs;
  for (const name of fs.readdirSync(root)) {
    const key = parseFolderName(name);
    if (!key || (key.temp && !withTemp) || !/^\d{1,15}$/.test(key.runId)) continue;
    runs.add(Number(key.runId));
  }
  return runs;
}
