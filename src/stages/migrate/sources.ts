// What migrate archives of a run: its run-record folder and files (as import recorded them), and the chosen processed data folders.
import fs from 'node:fs';
import type { Config } from '../../config/schema.js';
import { DaqflowError } from '../../errors.js';
import { stageOf, type RunDoc } from '../../rundb/index.js';
import { globMatcher } from '../../util/glob.js';
import { formatRunId } from '../../util/validate.js';
import type { DataFolder, RecordFile } from './blob.js';

const isDir = (dir: string): boolean => {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
};

/** The run folder import read: its recorded source, else this host's live-data entry. */
export function recordDirOf(doc: RunDoc, config: Pick<Config, 'rundb' | 'host'>): string {
  const imported = stageOf(doc, config.rundb.state_field, 'import')?.source;
  if (typeof imported === 'string' && isDir(imported)) return imported;
  const live = (doc.data ?? []).find((d) => d.type === 'live' && (d.host === config.host || d.host === 'localhost') && isDir(d.location));
  if (live) return live.location;
  const where = typeof imported === 'string' ? imported : 'no import source recorded';
  throw new DaqflowError(`run ${formatRunId(doc.number)}: its run folder is not readable on this host (${where}); migrate runs where import runs`, {
    exitCode: 1,
    context: { run: doc.number },
  });
}

/** The run-record files of the import inventory (`files` whose names match import.record_files), by name. */
export function recordFilesOf(doc: RunDoc, config: Pick<Config, 'import'>): Array<{ name: string; size?: number; md5?: string }> {
  const isRecord = globMatcher(config.import.record_files);
  const files = (doc.files ?? []).filter((f) => typeof f.name === 'string' && isRecord(f.name));
  if (files.length === 0) {
    throw new DaqflowError(`run ${formatRunId(doc.number)}: no run-record files in its import inventory (import.record_files: ${config.import.record_files.join(' ')})`, {
      exitCode: 1,
      context: { run: doc.number },
    });
  }
  return files;
}

/** A record file that changed since import makes the archive disagree with the runs DB: the run fails until it is re-imported. */
export function checkAgainstInventory(run: number, inventory: ReadonlyArray<{ name: string; md5?: string }>, now: readonly RecordFile[]): void {
  const current = new Map(now.map((f) => [f.name, f]));
  for (const file of inventory) {
    const seen = current.get(file.name);
    if (file.md5 && seen && seen.md5 !== file.md5) {
      throw new DaqflowError(`run ${formatRunId(run)}: run-record file ${file.name} changed since import (import md5 ${file.md5}, now ${seen.md5}); import it again first`, {
        exitCode: 1,
        context: { run, file: file.name },
      });
    }
  }
}

/** The strax folders of the data types migrate.include_data names, from the run's data entries readable here. */
export function dataFoldersOf(doc: RunDoc, config: Pick<Config, 'migrate' | 'host'>): DataFolder[] {
  if (config.migrate.include_data.length === 0) return [];
  const wanted = globMatcher(config.migrate.include_data);
  const byType = new Map<string, DataFolder>();
  for (const entry of doc.data ?? []) {
    if (!wanted(entry.type) || entry.type === 'live' || byType.has(entry.type)) continue;
    if (isDir(entry.location)) byType.set(entry.type, { type: entry.type, dir: entry.location });
  }
  const missing = config.migrate.include_data.filter((p) => !p.includes('*') && !p.includes('?') && !byType.has(p));
  if (missing.length > 0) {
    throw new DaqflowError(`run ${formatRunId(doc.number)}: no readable data folder for ${missing.join(', ')} (migrate.include_data); it is retried later`, {
      exitCode: 1,
      context: { run: doc.number },
    });
  }
  return [...byType.values()];
}
