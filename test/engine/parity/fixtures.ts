// The strax 2.2.3 parity fixtures (vendored from ../shared/fixtures/strax-parity): cases, their chunks and parameters.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { layoutOf, readChunks } from '../../../src/strax/storage/chunk-reader.js';
import { DataDirectory } from '../../../src/strax/storage/data-directory.js';
import type { RecordLayout } from '../../../src/strax/dtype/layout.js';

export const PARITY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/strax-parity');

interface ManifestCase {
  name: string;
  run_id: string;
  root: string;
  n_channels: number;
  n_top_channels: number;
  to_pe: string[];
  chunks: { start: string; end: string }[];
  edge_case_facts?: Record<string, unknown>;
}

export interface ParityManifest {
  parameters: {
    hit_min_amplitude: number;
    save_outside_hits_ns: [number, number];
    save_outside_hits_wide_ns: [number, number];
    gap_threshold: number;
    left_extension: number;
    right_extension: number;
    min_channels: number;
    max_duration: number;
    peak_split_gof_threshold: [null, [[number, number], [number, number]], [[number, number], [number, number]]];
    peak_split_filter_wing_width: number;
    peak_split_min_area: number;
    peak_split_iterations: number;
  };
  cases: ManifestCase[];
}

export const manifest = JSON.parse(fs.readFileSync(path.join(PARITY, 'MANIFEST.json'), 'utf8')) as ParityManifest;

export interface StoredChunk {
  start: bigint;
  end: bigint;
  rows: Uint8Array;
}

export interface ParityCase {
  name: string;
  nChannels: number;
  nTopChannels: number;
  toPe: Float64Array;
  /** Every data type's chunks as strax wrote them, and its layout from the metadata. */
  load(dataType: string): Promise<{ layout: RecordLayout; chunks: StoredChunk[] }>;
}

export function parityCase(name: string): ParityCase {
  const c = manifest.cases.find((x) => x.name === name)!;
  const dir = new DataDirectory(path.join(PARITY, c.name));
  return {
    name,
    nChannels: c.n_channels,
    nTopChannels: c.n_top_channels,
    toPe: Float64Array.from(c.to_pe, Number),
    async load(dataType) {
      const ds = dir.find(c.run_id, dataType);
      const chunks: StoredChunk[] = [];
      for await (const ch of readChunks(ds)) chunks.push({ start: ch.start, end: ch.end, rows: ch.data });
      return { layout: layoutOf(ds), chunks };
    },
  };
}

/** Differences between two row arrays of one layout, field by field (at most `limit` lines); empty when byte-identical. */
export function rowDifferences(layout: RecordLayout, expected: Uint8Array, actual: Uint8Array, limit = 12): string[] {
  if (Buffer.compare(Buffer.from(expected), Buffer.from(actual)) === 0) return [];
  const n = expected.length / layout.itemsize;
  const m = actual.length / layout.itemsize;
  const out: string[] = n === m ? [] : [`rows: expected ${n}, got ${m}`];
  const ev = new DataView(expected.buffer, expected.byteOffset, expected.byteLength);
  const av = new DataView(actual.buffer, actual.byteOffset, actual.byteLength);
  for (let i = 0; i < Math.min(n, m) && out.length < limit; i++) {
    for (const f of layout.fields) {
      const o = i * layout.itemsize + f.offset;
      const a = Buffer.from(expected.subarray(o, o + f.size));
      const b = Buffer.from(actual.subarray(o, o + f.size));
      if (a.equals(b)) continue;
      const k = [...a].findIndex((x, j) => x !== b[j]);
      const el = Math.floor(k / f.elementSize);
      const at = o + el * f.elementSize;
      const read = (v: DataView) => (f.kind === 'f' ? v.getFloat32(at, true) : f.elementSize === 8 ? v.getBigInt64(at, true) : f.elementSize === 4 ? v.getInt32(at, true) : f.elementSize === 2 ? v.getInt16(at, true) : v.getInt8(at));
      out.push(`row ${i} ${f.name}[${el}]: expected ${read(ev)}, got ${read(av)}`);
      if (out.length >= limit) break;
    }
  }
  return out;
}
