// Run-level `<run>-metadata.json`: BSON-style `{"$date": ms}` datetimes, a `name` key, strax's json.dumps layout.
import fs from 'node:fs';
import path from 'node:path';
import { DataNotAvailableError } from '../../errors.js';
import { DataCorruptedError } from '../errors.js';
import { parsePyJson, pyJsonDumps } from '../json/py-json.js';
import { PyFloat, isPyJsonObject, type PyJson, type PyJsonObject } from '../json/values.js';
import { validateKeyPart } from './names.js';

/** Run metadata with `{"$date": ms}` turned into Date (and back when written). */
export type RunMetadataValue = PyJson | Date | RunMetadataValue[] | { [key: string]: RunMetadataValue };
export type RunMetadata = Record<string, RunMetadataValue>;

export function runMetadataPath(root: string, runId: string): string {
  return path.join(root, `${validateKeyPart(runId, 'run id')}-metadata.json`);
}

function fromPy(v: PyJson): RunMetadataValue {
  if (Array.isArray(v)) return v.map(fromPy);
  if (isPyJsonObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === '$date' && typeof v.$date === 'bigint') return new Date(Number(v.$date));
    return Object.fromEntries(keys.map((k) => [k, fromPy(v[k]!)]));
  }
  return v;
}

function toPy(v: RunMetadataValue): PyJson {
  if (v instanceof Date) return { $date: BigInt(v.getTime()) };
  if (Array.isArray(v)) return v.map(toPy);
  if (v instanceof PyFloat) return v;
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPy(x as RunMetadataValue)]));
  }
  return v as PyJson;
}

export function readRunMetadata(root: string, runId: string): RunMetadata {
  const file = runMetadataPath(root, runId);
  if (!fs.existsSync(file)) throw new DataNotAvailableError(`${runId}-metadata`, `no run metadata at ${file}`);
  let raw: PyJson;
  try {
    raw = parsePyJson(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new DataCorruptedError(file, `run metadata is not valid JSON (${(error as Error).message})`);
  }
  if (!isPyJsonObject(raw)) throw new DataCorruptedError(file, 'run metadata is not a JSON object');
  return fromPy(raw) as RunMetadata;
}

/** Write `<run>-metadata.json` as strax's DataDirectory.write_run_metadata does (adds `name`). Returns the path. */
export function writeRunMetadata(root: string, runId: string, metadata: RunMetadata): string {
  const file = runMetadataPath(root, runId);
  const body = toPy({ ...metadata, name: runId }) as PyJsonObject;
  fs.mkdirSync(root, { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, pyJsonDumps(body, { indent: 4, sortKeys: true }));
  fs.renameSync(tmp, file);
  return file;
}
