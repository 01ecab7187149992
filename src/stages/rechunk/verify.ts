// Check a rechunked copy against its source before the swap: rows, time coverage, continuity, files; deep: every byte.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readChunks } from '../../strax/storage/chunk-reader.js';
import type { StoredDataset } from '../../strax/storage/dataset.js';
import type { DatasetMetadata } from '../../strax/storage/metadata.js';

/** Problems (one line each) of `copy` as a rewrite of `source`; empty when they hold the same rows over the same time. */
export function compareShallow(source: DatasetMetadata, copy: DatasetMetadata, copyDir: string): string[] {
  const problems: string[] = [];
  const rows = (md: DatasetMetadata) => md.chunks.reduce((a, c) => a + c.n, 0);
  const bytes = (md: DatasetMetadata) => md.chunks.reduce((a, c) => a + c.nbytes, 0);
  if (rows(copy) !== rows(source)) problems.push(`${rows(copy)} rows, the source has ${rows(source)}`);
  if (bytes(copy) !== bytes(source)) problems.push(`${bytes(copy)} bytes of rows, the source has ${bytes(source)}`);
  const first = (md: DatasetMetadata) => md.chunks[0]?.start;
  const last = (md: DatasetMetadata) => md.chunks[md.chunks.length - 1]?.end;
  if (first(copy) !== first(source) || last(copy) !== last(source)) {
    problems.push(`covers [${first(copy)}, ${last(copy)}), the source [${first(source)}, ${last(source)})`);
  }
  for (const [key, a, b] of [['dtype', copy.dtype, source.dtype], ['lineage_hash', copy.lineage_hash, source.lineage_hash], ['data_kind', copy.data_kind, source.data_kind]] as const) {
    if (a !== b) problems.push(`${key} ${JSON.stringify(a)} differs from the source's ${JSON.stringify(b)}`);
  }
  copy.chunks.forEach((c, i) => {
    if (i > 0 && c.start !== copy.chunks[i - 1]!.end) problems.push(`chunk ${i} starts at ${c.start}, chunk ${i - 1} ended at ${copy.chunks[i - 1]!.end}`);
    if (c.n === 0) return;
    const size = c.filename ? fs.statSync(path.join(copyDir, c.filename), { throwIfNoEntry: false })?.size : undefined;
    if (size === undefined) problems.push(`chunk file ${c.filename ?? `of chunk ${i}`} is missing`);
    else if (c.filesize !== undefined && size !== c.filesize) problems.push(`${c.filename} is ${size} bytes, the metadata says ${c.filesize}`);
  });
  return problems;
}

/** SHA-256 of every decompressed row of a dataset, read chunk by chunk (row bounds checked on the way). */
export async function rowsDigest(ds: StoredDataset, signal?: AbortSignal): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const c of readChunks(ds, { allowIncomplete: true })) {
    signal?.throwIfAborted();
    hash.update(c.data);
  }
  return hash.digest('hex');
}
