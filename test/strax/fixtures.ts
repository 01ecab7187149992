// Shared helpers for the strax tests: fixture paths, the MANIFEST, and temp copies for tests that write.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// Golden data written by strax 2.2.3, vendored from ../shared/fixtures/strax so CI needs nothing outside the repo.
export const FIXTURES = path.resolve(here, '../fixtures/strax');

export interface ManifestChunk {
  chunk_i: number;
  n: number;
  start: string;
  end: string;
  nbytes: number;
  filename?: string;
  filesize?: number;
  uncompressed_sha256?: string;
  first_time?: string;
  last_time?: string;
  first_endtime?: string;
  last_endtime?: string;
}

export interface ManifestDataset {
  name: string;
  root: string;
  path: string;
  folder_name: string;
  metadata_file: string;
  run_id: string;
  data_type: string;
  data_kind: string;
  lineage_hash: string;
  compressor: string;
  complete: boolean;
  n_chunks: number;
  rows_per_chunk: number[];
  dtype_itemsize: number;
  dtype_descr: string;
  dtype_fields: { name: string; title: string; format: string; shape: number[]; offset: number; size: number }[];
  start?: string;
  end?: string;
  chunks?: ManifestChunk[];
  expected: Record<string, unknown> & {
    total_rows?: number;
    field_sums?: Record<string, string>;
    first_row?: Record<string, string | string[]>;
    last_row?: Record<string, string | string[]>;
  };
  metadata_keys: string[];
  chunk_target_size_mb: number;
  rechunk?: { target_size_mb: number; source: string };
}

export interface Manifest {
  datasets: ManifestDataset[];
  lineage_hash_examples: {
    label: string;
    lineage: unknown;
    hash_input_json: string;
    sha1_hex: string;
    base32: string;
    lineage_hash: string;
    hash_after_json_roundtrip: string;
  }[];
  run_metadata: { path: string; run_id: string; written_content: Record<string, unknown> }[];
}

export const manifest: Manifest = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'MANIFEST.json'), 'utf8')) as Manifest;

export function dataset(name: string): ManifestDataset {
  const d = manifest.datasets.find((x) => x.name === name);
  if (!d) throw new Error(`no fixture dataset ${name}`);
  return d;
}

/** Copy a fixture root (or all of them) into a fresh temp dir, writable. */
export function copyFixture(root?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-strax-'));
  const src = root ? path.join(FIXTURES, root) : FIXTURES;
  const dst = root ? path.join(dir, root) : dir;
  fs.cpSync(src, dst, { recursive: true });
  for (const p of walk(dst)) fs.chmodSync(p, fs.statSync(p).isDirectory() ? 0o755 : 0o644);
  return dst;
}

function* walk(dir: string): Generator<string> {
  yield dir;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-strax-'));
}
