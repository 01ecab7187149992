// Write one dataset's new copy in the destination's `_temp` folder (rechunked, or copied as is), verify it, rename it.
import crypto from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { DataExistsError } from '../../errors.js';
import path from 'node:path';
import { DataCorruptedError } from '../../strax/errors.js';
import { rechunkParts, type PartsChunk } from '../../strax/chunk/rechunker.js';
import { rowTimes, type RowTimes } from '../../strax/chunk/bounds.js';
import type { RecordLayout } from '../../strax/dtype/layout.js';
import type { CompressorName } from '../../strax/compress/types.js';
import type { Executor } from '../../strax/engine/executor.js';
import { layoutOf, readChunks } from '../../strax/storage/chunk-reader.js';
import { inspectDataset, type StoredDataset } from '../../strax/storage/dataset.js';
import type { DatasetMetadata } from '../../strax/storage/metadata.js';
import type { PyJson } from '../../strax/json/values.js';
import { TEMP_SUFFIX } from '../../strax/storage/names.js';
import { DatasetSaver } from '../../strax/storage/saver.js';
import type { Rule } from './rules.js';
import { compareShallow, rowsDigest } from './verify.js';

export interface WriteOptions {
  destRoot: string;
  rule: Rule;
  deepCompare: boolean;
  /** Compresses chunks (inline or on worker threads). */
  executor: Executor;
  /** Chunks compressed at the same time (rechunk.max_threads). */
  threads: number;
  signal: AbortSignal;
  /** Top-level metadata keys added to the new copy (in place: the mark that it was rechunked). */
  mark?: Record<string, PyJson>;
}

/** A new copy failed its check against the source; the `_temp` folder is removed and the source stays as it is. */
export class VerifyError extends DataCorruptedError {}

/** Writes, verifies and renames into place; returns the new copy. Throws (leaving no final folder) when anything fails. */
export async function writeCopy(src: StoredDataset, o: WriteOptions): Promise<StoredDataset> {
  const finalPath = path.join(o.destRoot, src.folderName);
  const tempPath = finalPath + TEMP_SUFFIX;
  // An incomplete folder under the final name is not ours (ours appear complete, by rename): never overwrite it.
  if (existsSync(finalPath)) throw new DataExistsError(src.folderName, `${finalPath} (incomplete: remove it by hand once you know whose it is)`);
  try {
    // The source's rows are hashed as the rechunk reads them (the deep compare's read of the old copy).
    const sourceHash = crypto.createHash('sha256');
    const saver = o.rule.action === 'copy' ? await copyFolder(src, tempPath) : await rechunkInto(src, o, o.rule.targetMb, o.rule.compressor, sourceHash);
    const sourceDigest = async () => (saver ? sourceHash.digest('hex') : rowsDigest(src, o.signal));
    o.signal.throwIfAborted();
    const temp = inspectDataset(tempPath)!;
    const problems = compareShallow(src.metadata!, temp.metadata!, tempPath);
    if (problems.length === 0 && o.deepCompare && (await sourceDigest()) !== (await rowsDigest(temp, o.signal))) {
      problems.push('the decompressed rows differ from the source');
    }
    if (problems.length > 0) throw new VerifyError(temp.metadataPath!, `new copy does not match the source: ${problems.join('; ')}`);
    // Rename into place: the saver stamps writing_ended and renames; a copied folder has it already.
    if (saver) await saver.close();
    else await fs.rename(tempPath, finalPath);
  } catch (error) {
    await fs.rm(tempPath, { recursive: true, force: true });
    throw error;
  }
  return inspectDataset(finalPath)!;
}

/** Copy every file of the folder; writing_ended stays in the metadata, so the copy is complete once renamed. */
async function copyFolder(src: StoredDataset, tempPath: string): Promise<undefined> {
  await fs.rm(tempPath, { recursive: true, force: true });
  await fs.mkdir(tempPath, { recursive: true });
  for (const name of (await fs.readdir(src.path)).sort()) await fs.copyFile(path.join(src.path, name), path.join(tempPath, name));
  return undefined;
}

/**
 * strax.rechunker: the source's metadata with a new compressor and chunk target, chunks re-split by strax's Rechunker.
 * lineage, lineage_hash, the dtype text, strax_version and unknown keys are kept; chunks and writing times are new.
 * Returns the saver still open: the `_temp` metadata lacks writing_ended until the copy is verified and closed.
 */
async function rechunkInto(src: StoredDataset, o: WriteOptions, targetMb: number, compressor: CompressorName, sourceHash: crypto.Hash): Promise<DatasetSaver> {
  const md = src.metadata!;
  const layout = layoutOf(src);
  const saver = await DatasetSaver.open(o.destRoot, {
    runId: md.run_id, dataType: md.data_type, dataKind: md.data_kind, dtype: layout, lineage: md.lineage ?? null,
    lineageHash: src.lineageHash, compressor, chunkTargetSizeMb: targetMb, extra: { ...md.extra, ...(o.mark ?? {}) },
  }, { overwrite: 'never' });
  keepSourceKeys(saver.metadata, md);
  // Chunks are compressed `threads` at a time and saved in order: at most threads + 1 rechunked chunks in memory.
  const inFlight: Promise<() => Promise<unknown>>[] = [];
  const drain = async () => (await inFlight.shift()!)();
  async function* hashed() {
    for await (const c of readChunks(src)) {
      sourceHash.update(c.data);
      yield c;
    }
  }
  // A hand-written loop, not for-await: a suspended async function keeps the registers of its last iteration, so the
  // previous output chunk (its rows and its frame) stayed reachable while the next one was read — one target of rows
  // and one frame more at the peak. The chunk is handed over and forgotten before the next one is awaited.
  const chunks = rechunkParts(hashed(), layout, targetMb);
  for (;;) {
    const next = await chunks.next();
    if (next.done) break;
    o.signal.throwIfAborted();
    inFlight.push(compressChunk(next.value, layout, compressor, o.executor, saver));
    next.value = undefined as never;
    if (inFlight.length >= o.threads) await drain();
  }
  while (inFlight.length > 0) await drain();
  await saver.flush();
  // The saver writes metadata after each chunk; give it the final start/end now (writing_ended comes with the rename).
  const written = saver.metadata;
  if (written.chunks.length > 0) {
    written.start = written.chunks[0]!.start;
    written.end = written.chunks[written.chunks.length - 1]!.end;
  }
  return saver;
}

/** Compress one rechunked chunk; resolves to the step that saves it (called in chunk order). */
function compressChunk(c: PartsChunk, layout: RecordLayout, compressor: CompressorName, executor: Executor, saver: DatasetSaver): Promise<() => Promise<unknown>> {
  // Everything taken from the rows before they go to a worker thread, which takes their buffers over: nothing else
  // holds a view on them (a part cut in two is two views on one buffer, and those are copied).
  const { start, end } = c;
  const times = partsTimes(layout, c.parts);
  const nbytes = c.parts.reduce((a, p) => a + p.length, 0);
  const job = nbytes > 0 ? executor.compress({ compressor, parts: c.parts, handOver: true }) : Promise.resolve(undefined);
  job.catch(() => undefined);
  return job.then((frame) => () => saver.saveCompressed({ start, end, nbytes, frame, times }));
}

/** first/last time and endtime of a chunk held as parts (the first and last non-empty part's rows). */
function partsTimes(layout: RecordLayout, parts: readonly Uint8Array[]): RowTimes | undefined {
  const first = rowTimes(layout, parts[0] ?? new Uint8Array(0));
  const last = rowTimes(layout, parts[parts.length - 1] ?? new Uint8Array(0));
  return first && last ? { first_time: first.first_time, first_endtime: first.first_endtime, last_time: last.last_time, last_endtime: last.last_endtime } : undefined;
}

function keepSourceKeys(target: DatasetMetadata, source: DatasetMetadata): void {
  target.dtype = source.dtype;
  if (source.strax_version === undefined) delete target.strax_version;
  else target.strax_version = source.strax_version;
  if (source.lineage === undefined) delete target.lineage;
}
