// Stream a dataset's chunks in order: one frame per file, exact size, continuity, rows inside chunk bounds.
import path from 'node:path';
import { DataNotAvailableError } from '../../errors.js';
import { boundsProblems } from '../chunk/bounds.js';
import { getCompressor, isCompressorName } from '../compress/index.js';
import { asBuffer } from '../compress/types.js';
import { parseDtype, type RecordLayout } from '../dtype/layout.js';
import { DataCorruptedError, FrameError } from '../errors.js';
import type { StoredDataset } from './dataset.js';
import { readWhole } from './file-io.js';

export interface ChunkData {
  chunkIndex: number;
  start: bigint;
  end: bigint;
  n: number;
  /** Packed rows (n × itemsize bytes); empty for n = 0. */
  data: Uint8Array;
}

export interface ReadOptions {
  /** Read data that is still being written or lacks writing_ended (never crashed data). */
  allowIncomplete?: boolean;
  /** Check rows against the chunk bounds as strax's Chunk does (default true). */
  checkBounds?: boolean;
  /** Only chunks first..last (inclusive indices of the metadata's chunk list); default all. */
  chunks?: { first: number; last: number };
  /**
   * Where codecs that can (lz4) decode each chunk: a buffer of exactly the given size, owned by the caller, that is not
   * read by anyone until the chunk is yielded; undefined for a fresh buffer as usual (as with other codecs).
   */
  decodeInto?: (bytes: number) => Uint8Array | undefined;
  /**
   * Where the compressed files are read: a buffer of at least the given size, given back once its chunk is decoded
   * (a read that stops early or fails leaves the one it holds to the garbage collector); default two buffers of this
   * read's own, in turn. A server reading many datasets shares one pool of them, so no request makes fresh ones.
   */
  frameBuffers?: { take(bytes: number): Uint8Array; give(buffer: Uint8Array): void };
}

/** Parsed dtypes by metadata object: a server reading the same (cached) dataset again parses its dtype once. */
const layouts = new WeakMap<object, RecordLayout>();

export function layoutOf(ds: StoredDataset): RecordLayout {
  if (!ds.metadata) throw new DataNotAvailableError(ds.folderName, ds.reason ?? 'no metadata');
  let layout = layouts.get(ds.metadata);
  if (!layout) {
    layout = parseDtype(ds.metadata.dtype, ds.metadataPath);
    layouts.set(ds.metadata, layout);
  }
  return layout;
}

/** The metadata's compressor, or a DataCorruptedError naming the file when strax has no such compressor. */
function compressorOf(name: string, metadataPath: string): ReturnType<typeof getCompressor> {
  if (!isCompressorName(name)) throw new DataCorruptedError(metadataPath, `compressor ${JSON.stringify(name)} is not one strax knows (blosc, zstd, lz4, bz2)`);
  return getCompressor(name);
}

/** Async iterator over chunks, holding one decoded chunk plus the next compressed file in memory. */
export async function* readChunks(ds: StoredDataset, options: ReadOptions = {}): AsyncGenerator<ChunkData> {
  const md = ds.metadata;
  if (!md || ds.state === 'crashed' || ds.state === 'incomplete' || (ds.state === 'writing' && !options.allowIncomplete)) {
    throw new DataNotAvailableError(ds.folderName, ds.reason ?? ds.state, { file: ds.path });
  }
  const layout = layoutOf(ds);
  const codec = compressorOf(md.compressor, ds.metadataPath!);
  const file = (i: number) => path.join(ds.path, md.chunks[i]!.filename ?? '');
  // Two read buffers in turn: chunk i+1 is read into one while chunk i is decoded from the other. A compressed frame
  // is not needed once decoded (codecs return new arrays or write into decodeInto's), so reusing the buffer two
  // chunks later is safe. With frameBuffers, each chunk's buffer is taken from there and given back once decoded.
  const buffers: (Buffer | undefined)[] = [undefined, undefined];
  const shared = options.frameBuffers;
  const fetch = async (i: number): Promise<Buffer | undefined> => {
    if (i >= md.chunks.length || md.chunks[i]!.n === 0) return undefined;
    if (shared) return readWhole(file(i), (size) => asBuffer(shared.take(size)));
    const buf = await readWhole(file(i), () => buffers[i % 2]);
    if (!buffers[i % 2] || buf.buffer !== buffers[i % 2]!.buffer) buffers[i % 2] = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    return buf;
  };
  const first = Math.max(0, options.chunks?.first ?? 0);
  const stop = Math.min(md.chunks.length, (options.chunks?.last ?? md.chunks.length - 1) + 1);
  const fetchUpTo = (i: number) => (i < stop ? fetch(i) : Promise.resolve(undefined));
  let next = fetchUpTo(first);
  next.catch(() => undefined);
  let prevEnd: bigint | undefined;
  for (let i = first; i < stop; i++) {
    const c = md.chunks[i]!;
    const pending = next;
    next = fetchUpTo(i + 1);
    next.catch(() => undefined); // surfaced when awaited
    if (prevEnd !== undefined && c.start !== prevEnd) {
      throw new DataCorruptedError(ds.metadataPath!, `chunk ${i} starts at ${c.start} but chunk ${i - 1} ended at ${prevEnd}`);
    }
    if (c.end < c.start) throw new DataCorruptedError(ds.metadataPath!, `chunk ${i} ends (${c.end}) before it starts (${c.start})`);
    prevEnd = c.end;
    const expected = c.n * layout.itemsize;
    if (c.nbytes !== undefined && c.nbytes !== expected) {
      throw new DataCorruptedError(ds.metadataPath!, `chunk ${i}: nbytes ${c.nbytes} but n × itemsize = ${c.n} × ${layout.itemsize} = ${expected}`);
    }
    if (c.n === 0) {
      yield { chunkIndex: i, start: c.start, end: c.end, n: 0, data: new Uint8Array(0) };
      continue;
    }
    let data: Uint8Array;
    try {
      const frame = (await pending)!;
      const into = codec.decompressInto ? options.decodeInto?.(expected) : undefined;
      if (into) {
        await codec.decompressInto!(frame, into);
        data = into;
      } else {
        data = await codec.decompress(frame, expected);
      }
      if (shared && data.buffer !== frame.buffer) shared.give(frame);
    } catch (error) {
      if (error instanceof FrameError) throw new DataCorruptedError(file(i), `${error.message} (metadata says n = ${c.n})`);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new DataCorruptedError(file(i), 'chunk file is missing');
      throw error;
    }
    if (options.checkBounds ?? true) {
      const problems = boundsProblems(layout, data, c.start, c.end);
      if (problems.length > 0) throw new DataCorruptedError(file(i), problems.join('; '));
    }
    yield { chunkIndex: i, start: c.start, end: c.end, n: c.n, data };
  }
}

/** All rows of a dataset concatenated (convenience for small data and tests). */
export async function readAllRows(ds: StoredDataset, options: ReadOptions = {}): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of readChunks(ds, options)) parts.push(c.data);
  return new Uint8Array(Buffer.concat(parts));
}
