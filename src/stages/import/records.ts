// import, step 2: the inventory of a run folder (name, size, streamed MD5) and its run-record files, JSON/YAML parsed, other text verbatim.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import YAML from 'yaml';
import type { FileStat } from './scan.js';

export type InventoryEntry = {
  name: string;
  size: number;
  md5: string;
};

/** MD5 of a file, read as a stream (memory use does not depend on the file size). */
export async function md5File(file: string, signal?: AbortSignal): Promise<string> {
  const hash = crypto.createHash('md5');
  await pipeline(fs.createReadStream(file), hash, { signal });
  return hash.digest('hex');
}

export async function inventory(files: readonly FileStat[], signal?: AbortSignal): Promise<InventoryEntry[]> {
  const out: InventoryEntry[] = [];
  for (const f of files) out.push({ name: f.name, size: f.size, md5: await md5File(f.abs, signal) });
  return out;
}

/**
 * The key of a record file in `run_record`: its relative path with `.` replaced by `_` (MongoDB field
 * names cannot be addressed through dots), e.g. `run_record/daq_config.yaml` → `run_record/daq_config_yaml`.
 */
export function recordKey(name: string): string {
  return name.replace(/\./g, '_').replace(/^\$/, '_');
}

/** A record file that cannot be read or parsed fails its run; the message names the file. */
export class RecordFileError extends Error {}

/** Read one record file: JSON and YAML parsed, everything else (FHiCL, text) kept verbatim. */
export async function readRecordFile(file: FileStat): Promise<unknown> {
  let text: string;
  try {
    text = await fs.promises.readFile(file.abs, 'utf8');
  } catch (error) {
    throw new RecordFileError(`${file.abs}: cannot read the run-record file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const lower = file.name.toLowerCase();
  try {
    if (lower.endsWith('.json')) return JSON.parse(text);
    if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return YAML.parse(text, { prettyErrors: false });
  } catch (error) {
    const kind = lower.endsWith('.json') ? 'JSON' : 'YAML';
    const detail = (error as Error).message.split('\n')[0];
    throw new RecordFileError(`${file.abs}: malformed ${kind} (${detail})`);
  }
  return text;
}

/** Top-level fields of the parsed records that describe the run: the first record (by file name) that has one wins. */
export function runFields(records: ReadonlyMap<string, unknown>): { start?: Date; end?: Date; mode?: string } {
  const pick = (keys: readonly string[]): unknown => {
    for (const value of records.values()) {
      if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
      for (const key of keys) if ((value as Record<string, unknown>)[key] != null) return (value as Record<string, unknown>)[key];
    }
    return undefined;
  };
  const asDate = (v: unknown): Date | undefined => {
    if (typeof v !== 'string' && typeof v !== 'number' && !(v instanceof Date)) return undefined;
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d;
  };
  const mode = pick(['mode', 'run_mode', 'run_type']);
  return {
    start: asDate(pick(['start', 'start_time', 'run_start'])),
    end: asDate(pick(['end', 'end_time', 'stop_time', 'run_end'])),
    mode: typeof mode === 'string' ? mode : undefined,
  };
}
