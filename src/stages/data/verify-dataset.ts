// Verify one stored strax dataset: metadata, dtype, every chunk frame, continuity, row bounds; deep: sums and lineage hash.
import fs from 'node:fs';
import path from 'node:path';
import { DaqflowError } from '../../errors.js';
import { boundsProblems, rowTimes } from '../../strax/chunk/bounds.js';
import { getCompressor, isCompressorName } from '../../strax/compress/index.js';
import { parseDtype, type RecordLayout } from '../../strax/dtype/layout.js';
import { FrameError } from '../../strax/errors.js';
import { deterministicHash } from '../../strax/lineage.js';
import type { StoredDataset } from '../../strax/storage/dataset.js';
import type { ChunkMetadata } from '../../strax/storage/metadata.js';
import { FieldSummer } from './field-sums.js';

export interface VerifyProblem {
  /** The file the problem is in (chunk file, or the metadata file for metadata problems). */
  file: string;
  problem: string;
}

export interface DatasetCheck {
  problems: VerifyProblem[];
  warnings: VerifyProblem[];
  checkedChunks: number;
  /** --deep: per-field sums over all rows and elements (ints exact, floats compensated), as decimal strings. */
  fieldSums?: Record<string, string>;
  /** --deep: the hash recomputed from the stored lineage. */
  recomputedHash?: string;
}

const message = (e: unknown) => (e instanceof DaqflowError ? e.shortMessage : e instanceof Error ? e.message : String(e));

export async function verifyDataset(ds: StoredDataset, deep: boolean): Promise<DatasetCheck> {
  const check: DatasetCheck = { problems: [], warnings: [], checkedChunks: 0 };
  const metaFile = ds.metadataPath ?? path.join(ds.path, `${ds.dataType}-${ds.lineageHash}-metadata.json`);
  const problem = (file: string, text: string) => check.problems.push({ file, problem: text });
  if (ds.state !== 'complete') problem(metaFile, `dataset is ${ds.state}: ${ds.reason ?? ''}`.trim());
  const md = ds.metadata;
  if (!md) return check;
  let layout: RecordLayout;
  try {
    layout = parseDtype(md.dtype, metaFile);
  } catch (error) {
    problem(metaFile, message(error));
    return check;
  }
  if (!isCompressorName(md.compressor)) {
    problem(metaFile, `unknown compressor ${JSON.stringify(md.compressor)}`);
    return check;
  }
  if (md.lineage_hash !== undefined && md.lineage_hash !== ds.lineageHash) {
    problem(metaFile, `lineage_hash ${md.lineage_hash} does not match the folder name ${ds.folderName}`);
  }
  if (md.run_id !== ds.runId || md.data_type !== ds.dataType) problem(metaFile, `run_id/data_type ${md.run_id}/${md.data_type} do not match the folder name`);
  const codec = getCompressor(md.compressor);
  const sums = deep ? new FieldSummer(layout) : undefined;
  let prev: ChunkMetadata | undefined;
  for (const [i, c] of md.chunks.entries()) {
    if (c.chunk_i !== i) problem(metaFile, `chunks[${i}] has chunk_i ${c.chunk_i}`);
    if (c.run_id !== md.run_id && md.chunks[0]?.subruns === null) problem(metaFile, `chunk ${i} has run_id ${c.run_id}`);
    if (prev && c.start !== prev.end) problem(metaFile, `chunk ${i} starts at ${c.start} but chunk ${i - 1} ended at ${prev.end}`);
    if (c.end < c.start) problem(metaFile, `chunk ${i} ends (${c.end}) before it starts (${c.start})`);
    if (c.nbytes !== undefined && c.nbytes !== c.n * layout.itemsize) problem(metaFile, `chunk ${i}: nbytes ${c.nbytes} ≠ n × itemsize ${c.n * layout.itemsize}`);
    prev = c;
    check.checkedChunks++;
    if (c.n === 0) {
      if (c.filename !== undefined && fs.existsSync(path.join(ds.path, c.filename))) check.warnings.push({ file: path.join(ds.path, c.filename), problem: 'file present for an empty chunk' });
      continue;
    }
    const file = path.join(ds.path, c.filename ?? `chunk-${i}-has-no-filename`);
    let frame: Uint8Array;
    try {
      frame = fs.readFileSync(file);
    } catch {
      problem(file, 'chunk file is missing');
      continue;
    }
    if (c.filesize !== undefined && c.filesize !== frame.length) problem(file, `file is ${frame.length} bytes, metadata filesize says ${c.filesize}`);
    let data: Uint8Array;
    try {
      data = await codec.decompress(frame, c.n * layout.itemsize);
    } catch (error) {
      problem(file, error instanceof FrameError ? `${error.message} (metadata says n = ${c.n})` : message(error));
      continue;
    }
    for (const p of boundsProblems(layout, data, c.start, c.end, true)) problem(file, p);
    const times = rowTimes(layout, data);
    for (const k of ['first_time', 'first_endtime', 'last_time', 'last_endtime'] as const) {
      if (times && c[k] !== undefined && c[k] !== times[k]) problem(file, `${k} is ${times[k]} in the rows but ${c[k]} in the metadata`);
    }
    sums?.add(data);
  }
  const first = md.chunks[0];
  const last = md.chunks[md.chunks.length - 1];
  if (ds.state === 'complete' && md.chunks.length === 0) problem(metaFile, 'no chunks: strax cannot load a dataset without chunk entries');
  if (first && md.start !== undefined && md.start !== first.start) problem(metaFile, `start ${md.start} ≠ first chunk start ${first.start}`);
  if (last && md.end !== undefined && md.end !== last.end) problem(metaFile, `end ${md.end} ≠ last chunk end ${last.end}`);
  if (deep) {
    check.fieldSums = sums!.result();
    if (md.lineage !== undefined) {
      check.recomputedHash = deterministicHash(md.lineage);
      if (check.recomputedHash !== md.lineage_hash) {
        // strax treats the stored hash as authoritative (int dict keys hash differently after a JSON round trip).
        check.warnings.push({ file: metaFile, problem: `lineage hashes to ${check.recomputedHash}, stored ${md.lineage_hash}` });
      }
    }
  }
  return check;
}
