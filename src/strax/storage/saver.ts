// Write a dataset as strax does: `<folder>_temp`, per-chunk `_temp` + rename, metadata after every chunk, final rename.
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DataExistsError, isDiskFull } from '../../errors.js';
import { boundsProblems, rowTimes, type RowTimes } from '../chunk/bounds.js';
import { getCompressor, type CompressorOptions } from '../compress/index.js';
import type { Compressor, CompressorName } from '../compress/types.js';
import { parseDtype, type RecordLayout } from '../dtype/layout.js';
import type { PyJson, PyJsonObject } from '../json/values.js';
import { deterministicHash } from '../lineage.js';
import { inspectDataset } from './dataset.js';
import { writeWhole } from './file-io.js';
import { serializeMetadata, type ChunkMetadata, type DatasetMetadata } from './metadata.js';
import { TEMP_SUFFIX, chunkFileName, folderName, metadataFileName, prefixOf } from './names.js';

/** The strax version daqflow claims to be compatible with (PEP 440, ≥ 0.9.0 as strax's loader requires). */
export const STRAX_COMPAT_VERSION = '2.2.3';

export type OverwritePolicy = 'never' | 'if_broken' | 'always';

export interface NewDataset {
  runId: string;
  dataType: string;
  /** Defaults to dataType. */
  dataKind?: string;
  dtype: RecordLayout | string;
  lineage: PyJson;
  /** Defaults to deterministic_hash(lineage). Rechunking keeps the source's hash. */
  lineageHash?: string;
  compressor: CompressorName;
  chunkTargetSizeMb?: number;
  /** Extra top-level keys (e.g. `daqflow_version`); strax carries unknown keys along. */
  extra?: PyJsonObject;
}

export interface SaverOptions {
  overwrite?: OverwritePolicy;
  compressorOptions?: CompressorOptions;
  /** Clock in float seconds (injectable for tests). */
  now?: () => number;
  /** Omit `filesize` from chunk entries, as strax does when saving through an executor. */
  omitFilesize?: boolean;
}

export interface ChunkInput {
  start: bigint;
  end: bigint;
  data: Uint8Array;
}

/** A chunk compressed elsewhere (e.g. on a worker thread); see DatasetSaver.saveCompressed. */
export interface CompressedChunkInput {
  start: bigint;
  end: bigint;
  /** Uncompressed size: n rows × itemsize. */
  nbytes: number;
  /** The rows compressed with this dataset's compressor (one frame); ignored when nbytes is 0. */
  frame: Uint8Array | undefined;
  /** first/last time and endtime of the rows (required when nbytes > 0). */
  times?: RowTimes;
}

export class DatasetSaver {
  private closed = false;
  private saved = 0;
  private lastEnd: bigint | undefined;
  private pending: Promise<void> = Promise.resolve();
  private constructor(
    readonly finalPath: string,
    readonly tempPath: string,
    readonly layout: RecordLayout,
    readonly metadata: DatasetMetadata,
    private readonly codec: Compressor,
    private readonly options: SaverOptions,
  ) {}

  get metadataPath(): string {
    return path.join(this.tempPath, metadataFileName(prefixOf(this.finalPath)));
  }

  static async open(root: string, spec: NewDataset, options: SaverOptions = {}): Promise<DatasetSaver> {
    const now = options.now ?? (() => Date.now() / 1000);
    const layout = typeof spec.dtype === 'string' ? parseDtype(spec.dtype) : spec.dtype;
    const lineageHash = spec.lineageHash ?? deterministicHash(spec.lineage);
    const name = folderName({ runId: spec.runId, dataType: spec.dataType, lineageHash });
    const finalPath = path.join(root, name);
    const tempPath = finalPath + TEMP_SUFFIX;
    const codec = getCompressor(spec.compressor, options.compressorOptions);
    await DatasetSaver.clearWay(finalPath, tempPath, name, options.overwrite ?? 'if_broken');
    await fs.mkdir(tempPath, { recursive: true });
    const metadata: DatasetMetadata = {
      run_id: spec.runId,
      data_type: spec.dataType,
      data_kind: spec.dataKind ?? spec.dataType,
      dtype: layout.descr,
      compressor: spec.compressor,
      lineage: spec.lineage,
      lineage_hash: lineageHash,
      chunk_target_size_mb: spec.chunkTargetSizeMb ?? 200,
      strax_version: STRAX_COMPAT_VERSION,
      writing_started: now(),
      chunks: [],
      extra: { ...(spec.extra ?? {}) },
    };
    const saver = new DatasetSaver(finalPath, tempPath, layout, metadata, codec, { ...options, now });
    await saver.writeMetadata();
    return saver;
  }

  private static async clearWay(finalPath: string, tempPath: string, key: string, policy: OverwritePolicy): Promise<void> {
    if (existsSync(finalPath)) {
      if (policy === 'never') throw new DataExistsError(key, finalPath);
      if (policy === 'if_broken' && inspectDataset(finalPath)?.state === 'complete') throw new DataExistsError(key, finalPath);
      await fs.rm(finalPath, { recursive: true, force: true });
    }
    await fs.rm(tempPath, { recursive: true, force: true });
  }

  private async writeMetadata(): Promise<void> {
    const file = this.metadataPath;
    const tmp = `${file}.tmp`;
    await fs.writeFile(tmp, serializeMetadata(this.metadata));
    await fs.rename(tmp, file);
  }

  /**
   * Save the next chunk; it must start where the previous one ended and hold whole rows inside [start, end).
   * Returns the chunk's metadata entry; the file lands in the background (see flush()).
   */
  async save(chunk: ChunkInput): Promise<ChunkMetadata> {
    if (this.closed) throw new Error(`${this.finalPath}: saver is closed`);
    const md = this.metadata;
    const i = this.saved;
    const where = `${path.basename(this.finalPath)} chunk ${i}`;
    const size = this.layout.itemsize;
    if (chunk.data.length % size !== 0) throw new RangeError(`${where}: ${chunk.data.length} bytes is not a whole number of ${size}-byte rows`);
    if (chunk.end < chunk.start) throw new RangeError(`${where}: end ${chunk.end} is before start ${chunk.start}`);
    if (this.lastEnd !== undefined && chunk.start !== this.lastEnd) {
      throw new RangeError(`${where}: starts at ${chunk.start}, previous chunk ended at ${this.lastEnd}`);
    }
    const problems = boundsProblems(this.layout, chunk.data, chunk.start, chunk.end);
    if (problems.length > 0) throw new RangeError(`${where}: ${problems.join('; ')}`);
    const n = chunk.data.length / size;
    const entry: ChunkMetadata = { chunk_i: i, n, start: chunk.start, end: chunk.end, run_id: md.run_id, subruns: null, nbytes: chunk.data.length };
    this.lastEnd = chunk.end;
    this.saved++;
    // Compress on this call, then write in the background so the next chunk's compression overlaps this chunk's
    // file I/O; at most one write is pending. The metadata lists a chunk only after its file is renamed into place.
    const frame = n > 0 ? await this.codec.compress(chunk.data) : undefined;
    if (frame) {
      entry.filename = chunkFileName(prefixOf(this.finalPath), i);
      if (!this.options.omitFilesize) entry.filesize = frame.length;
      Object.assign(entry, rowTimes(this.layout, chunk.data) ?? {});
    }
    await this.pending;
    this.pending = this.writeChunk(entry, frame);
    this.pending.catch(() => undefined); // reported by the next save() or close()
    return entry;
  }

  /**
   * Save the next chunk from an already compressed frame. The caller has checked the rows (whole rows, sorted, inside
   * [start, end)) and compressed them with this dataset's compressor; continuity and ordering are checked as in save().
   */
  async saveCompressed(chunk: CompressedChunkInput): Promise<ChunkMetadata> {
    if (this.closed) throw new Error(`${this.finalPath}: saver is closed`);
    const i = this.saved;
    const where = `${path.basename(this.finalPath)} chunk ${i}`;
    const size = this.layout.itemsize;
    if (chunk.nbytes % size !== 0) throw new RangeError(`${where}: ${chunk.nbytes} bytes is not a whole number of ${size}-byte rows`);
    if (chunk.end < chunk.start) throw new RangeError(`${where}: end ${chunk.end} is before start ${chunk.start}`);
    if (this.lastEnd !== undefined && chunk.start !== this.lastEnd) {
      throw new RangeError(`${where}: starts at ${chunk.start}, previous chunk ended at ${this.lastEnd}`);
    }
    if (chunk.nbytes > 0 && !chunk.frame) throw new RangeError(`${where}: ${chunk.nbytes} bytes but no frame`);
    const entry: ChunkMetadata = { chunk_i: i, n: chunk.nbytes / size, start: chunk.start, end: chunk.end, run_id: this.metadata.run_id, subruns: null, nbytes: chunk.nbytes };
    this.lastEnd = chunk.end;
    this.saved++;
    const frame = chunk.nbytes > 0 ? chunk.frame : undefined;
    if (frame) {
      entry.filename = chunkFileName(prefixOf(this.finalPath), i);
      if (!this.options.omitFilesize) entry.filesize = frame.length;
      Object.assign(entry, chunk.times ?? {});
    }
    await this.pending;
    this.pending = this.writeChunk(entry, frame);
    this.pending.catch(() => undefined); // reported by the next save() or close()
    return entry;
  }

  private async writeChunk(entry: ChunkMetadata, frame: Uint8Array | undefined): Promise<void> {
    if (frame) {
      const target = path.join(this.tempPath, entry.filename!);
      await writeWhole(`${target}${TEMP_SUFFIX}`, frame);
      await fs.rename(`${target}${TEMP_SUFFIX}`, target);
    }
    this.metadata.chunks.push(entry);
    if (entry.chunk_i === 0) this.metadata.start = entry.start;
    await this.writeMetadata();
  }

  /** Wait until every chunk passed to save() is on disk and listed in the metadata. */
  async flush(): Promise<void> {
    await this.pending;
  }

  /** Finish: set start/end and writing_ended, rewrite the metadata, rename `_temp` to the final folder. */
  async close(): Promise<DatasetMetadata> {
    if (this.closed) return this.metadata;
    this.closed = true;
    try {
      await this.pending;
    } catch (error) {
      if (isDiskFull(error)) {
        await this.discard();
        throw error;
      }
      this.metadata.exception ??= error instanceof Error ? (error.stack ?? error.message) : String(error);
    }
    const md = this.metadata;
    if (md.chunks.length > 0) {
      md.start = md.chunks[0]!.start;
      md.end = md.chunks[md.chunks.length - 1]!.end;
    }
    md.writing_ended = this.options.now!();
    await this.writeMetadata();
    await fs.rm(this.finalPath, { recursive: true, force: true });
    await fs.rename(this.tempPath, this.finalPath);
    return md;
  }

  /**
   * Record a failure the way strax does (`exception` key), then close under the final name. When the disk is full
   * (the failure itself, or writing its record) the half-written folder is removed instead: its chunks only take the
   * space that is missing, and a record of the failure cannot be written reliably.
   */
  async fail(error: unknown): Promise<DatasetMetadata> {
    this.metadata.exception = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    if (isDiskFull(error) || isDiskFull((error as { cause?: unknown } | undefined)?.cause)) return this.discard();
    try {
      return await this.close();
    } catch (closeError) {
      if (!isDiskFull(closeError)) throw closeError;
      return this.discard();
    }
  }

  private async discard(): Promise<DatasetMetadata> {
    this.closed = true;
    await this.pending.catch(() => undefined);
    await fs.rm(this.tempPath, { recursive: true, force: true });
    return this.metadata;
  }
}
