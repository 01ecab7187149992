// Dataset metadata (`<type>-<hash>-metadata.json`): typed read with exact int64, byte-identical json.dumps write.
import { DataCorruptedError } from '../errors.js';
import { PyJsonSyntaxError, parsePyJson, pyJsonDumps } from '../json/py-json.js';
import { PyFloat, isPyJsonObject, pyFloat, type PyJson, type PyJsonObject } from '../json/values.js';

export interface ChunkMetadata {
  chunk_i: number;
  n: number;
  start: bigint;
  end: bigint;
  run_id: string;
  /** `null` for normal runs; `{run_id: {start, end}}` for superruns. */
  subruns: PyJson;
  nbytes: number;
  filename?: string;
  /** Absent when strax saved the chunk through an executor. */
  filesize?: number;
  first_time?: bigint;
  first_endtime?: bigint;
  last_time?: bigint;
  last_endtime?: bigint;
  /** Keys this version does not know, written back unchanged. */
  extra?: PyJsonObject;
}

export interface DatasetMetadata {
  run_id: string;
  data_type: string;
  data_kind: string;
  dtype: string;
  compressor: string;
  lineage?: PyJson;
  lineage_hash?: string;
  chunk_target_size_mb?: number;
  strax_version?: string;
  /** Float seconds since the epoch. */
  writing_started?: number;
  writing_ended?: number;
  start?: bigint;
  end?: bigint;
  exception?: string;
  chunks: ChunkMetadata[];
  /** Unknown top-level keys (e.g. `daqflow_version`, restrax additions), kept verbatim. */
  extra: PyJsonObject;
}

const TIME_KEYS = ['start', 'end', 'first_time', 'first_endtime', 'last_time', 'last_endtime'] as const;
const COUNT_KEYS = ['chunk_i', 'n', 'nbytes', 'filesize'] as const;
const CHUNK_KEYS = new Set<string>([...TIME_KEYS, ...COUNT_KEYS, 'run_id', 'subruns', 'filename']);
const TOP_STRINGS = ['run_id', 'data_type', 'data_kind', 'dtype', 'compressor', 'lineage_hash', 'strax_version', 'exception'] as const;
const TOP_KEYS = new Set<string>([...TOP_STRINGS, 'lineage', 'chunk_target_size_mb', 'writing_started', 'writing_ended', 'start', 'end', 'chunks']);
const REQUIRED = ['run_id', 'data_type', 'data_kind', 'dtype', 'compressor'] as const;

function int(v: PyJson | undefined, file: string, key: string): bigint | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new DataCorruptedError(file, `metadata key ${key} should be an integer, got ${pyJsonDumps(v)}`);
}

function float(v: PyJson | undefined, file: string, key: string): number | undefined {
  if (v === undefined) return undefined;
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'bigint' || typeof v === 'number') return Number(v);
  throw new DataCorruptedError(file, `metadata key ${key} should be a number, got ${pyJsonDumps(v)}`);
}

function str(v: PyJson | undefined, file: string, key: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  throw new DataCorruptedError(file, `metadata key ${key} should be a string, got ${pyJsonDumps(v)}`);
}

function parseChunk(raw: PyJson, file: string, i: number): ChunkMetadata {
  if (!isPyJsonObject(raw)) throw new DataCorruptedError(file, `chunks[${i}] is not an object`);
  const where = (k: string) => `chunks[${i}].${k}`;
  const need = <T>(v: T | undefined, k: string): T => {
    if (v === undefined) throw new DataCorruptedError(file, `${where(k)} is missing`);
    return v;
  };
  const c: ChunkMetadata = {
    chunk_i: Number(need(int(raw.chunk_i, file, where('chunk_i')), 'chunk_i')),
    n: Number(need(int(raw.n, file, where('n')), 'n')),
    start: need(int(raw.start, file, where('start')), 'start'),
    end: need(int(raw.end, file, where('end')), 'end'),
    run_id: need(str(raw.run_id, file, where('run_id')), 'run_id'),
    subruns: raw.subruns ?? null,
    nbytes: Number(int(raw.nbytes, file, where('nbytes')) ?? -1n),
  };
  if (raw.nbytes === undefined) delete (c as Partial<ChunkMetadata>).nbytes;
  const filename = str(raw.filename, file, where('filename'));
  // strax names chunk files `<type>-<hash>-<i>`; anything with a separator would be read from outside the dataset folder.
  if (filename !== undefined && (/[/\\\0]/.test(filename) || filename === '' || filename === '.' || filename === '..')) {
    throw new DataCorruptedError(file, `${where('filename')} ${JSON.stringify(filename)} is not a file name in the dataset folder`);
  }
  if (filename !== undefined) c.filename = filename;
  if (raw.filesize !== undefined) c.filesize = Number(int(raw.filesize, file, where('filesize')));
  for (const k of ['first_time', 'first_endtime', 'last_time', 'last_endtime'] as const) {
    const v = int(raw[k], file, where(k));
    if (v !== undefined) c[k] = v;
  }
  const extra = Object.fromEntries(Object.entries(raw).filter(([k]) => !CHUNK_KEYS.has(k)));
  if (Object.keys(extra).length > 0) c.extra = extra;
  return c;
}

/** Parse metadata text; `file` names the file in every error. */
export function parseMetadata(text: string, file: string): DatasetMetadata {
  let raw: PyJson;
  try {
    raw = parsePyJson(text);
  } catch (error) {
    const detail = error instanceof PyJsonSyntaxError ? error.message : String(error);
    throw new DataCorruptedError(file, `metadata is not valid JSON (${detail})`);
  }
  if (!isPyJsonObject(raw)) throw new DataCorruptedError(file, 'metadata is not a JSON object');
  for (const k of REQUIRED) if (raw[k] === undefined) throw new DataCorruptedError(file, `metadata lacks the required key ${k}`);
  if (!Array.isArray(raw.chunks)) throw new DataCorruptedError(file, 'metadata key chunks should be a list');
  const md: DatasetMetadata = {
    run_id: str(raw.run_id, file, 'run_id')!,
    data_type: str(raw.data_type, file, 'data_type')!,
    data_kind: str(raw.data_kind, file, 'data_kind')!,
    dtype: str(raw.dtype, file, 'dtype')!,
    compressor: str(raw.compressor, file, 'compressor')!,
    chunks: raw.chunks.map((c, i) => parseChunk(c, file, i)),
    extra: Object.fromEntries(Object.entries(raw).filter(([k]) => !TOP_KEYS.has(k))),
  };
  for (const k of ['lineage_hash', 'strax_version', 'exception'] as const) {
    const v = str(raw[k], file, k);
    if (v !== undefined) md[k] = v;
  }
  if (raw.lineage !== undefined) md.lineage = raw.lineage;
  for (const k of ['chunk_target_size_mb', 'writing_started', 'writing_ended'] as const) {
    const v = float(raw[k], file, k);
    if (v !== undefined) md[k] = v;
  }
  for (const k of ['start', 'end'] as const) {
    const v = int(raw[k], file, k);
    if (v !== undefined) md[k] = v;
  }
  return md;
}

function chunkToPyJson(c: ChunkMetadata): PyJsonObject {
  const out: PyJsonObject = { ...(c.extra ?? {}), chunk_i: c.chunk_i, n: c.n, start: c.start, end: c.end, run_id: c.run_id, subruns: c.subruns };
  if (c.nbytes !== undefined) out.nbytes = c.nbytes;
  if (c.filename !== undefined) out.filename = c.filename;
  if (c.filesize !== undefined) out.filesize = c.filesize;
  for (const k of ['first_time', 'first_endtime', 'last_time', 'last_endtime'] as const) if (c[k] !== undefined) out[k] = c[k]!;
  return out;
}

/** The metadata as the JSON value strax would dump (floats for writing times, exact ints). */
export function metadataToPyJson(md: DatasetMetadata): PyJsonObject {
  const out: PyJsonObject = { ...md.extra };
  for (const k of ['run_id', 'data_type', 'data_kind', 'dtype', 'compressor', 'lineage_hash', 'strax_version', 'exception'] as const) {
    if (md[k] !== undefined) out[k] = md[k]!;
  }
  if (md.lineage !== undefined) out.lineage = md.lineage;
  if (md.chunk_target_size_mb !== undefined) out.chunk_target_size_mb = md.chunk_target_size_mb;
  if (md.writing_started !== undefined) out.writing_started = pyFloat(md.writing_started);
  if (md.writing_ended !== undefined) out.writing_ended = pyFloat(md.writing_ended);
  if (md.start !== undefined) out.start = md.start;
  if (md.end !== undefined) out.end = md.end;
  out.chunks = md.chunks.map(chunkToPyJson);
  return out;
}

/** `json.dumps(md, sort_keys=True, indent=4)` byte for byte. */
export function serializeMetadata(md: DatasetMetadata): string {
  return pyJsonDumps(metadataToPyJson(md), { indent: 4, sortKeys: true });
}
