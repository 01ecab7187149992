// import, on a re-import: what changed between the stored run document and the folder, in words for the log.
import { isDeepStrictEqual } from 'node:util';
import type { RunDoc } from '../../rundb/index.js';
import type { InventoryEntry } from './records.js';

/** e.g. `run_record: daq_config_yaml changed, notes_txt added; files: 1 changed`; empty when nothing changed. */
export function describeChanges(stored: RunDoc, runRecord: Record<string, unknown>, files: readonly InventoryEntry[]): string[] {
  const changes: string[] = [];
  const before = (stored.run_record ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(runRecord)])].sort();
  const record = keys.flatMap((key) => {
    if (!(key in before)) return [`${key} added`];
    if (!(key in runRecord)) return [`${key} removed`];
    return isDeepStrictEqual(normalize(before[key]), normalize(runRecord[key])) ? [] : [`${key} changed`];
  });
  if (record.length) changes.push(`run_record: ${record.join(', ')}`);
  const oldFiles = new Map((stored.files ?? []).map((f) => [f.name, `${f.size}:${f.md5}`]));
  const newFiles = new Map(files.map((f) => [f.name, `${f.size}:${f.md5}`]));
  const added = [...newFiles.keys()].filter((n) => !oldFiles.has(n)).length;
  const removed = [...oldFiles.keys()].filter((n) => !newFiles.has(n)).length;
  const changed = [...newFiles].filter(([n, v]) => oldFiles.has(n) && oldFiles.get(n) !== v).length;
  const fileParts = [added && `${added} added`, removed && `${removed} removed`, changed && `${changed} changed`].filter(Boolean);
  if (fileParts.length) changes.push(`files: ${fileParts.join(', ')}`);
  return changes;
}

/** Stored values come back through JSON (sqlite) or BSON (mongo): compare them in JSON form. */
function normalize(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
