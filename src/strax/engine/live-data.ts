// The live-data format fake-daq writes and the raw_records plugin reads: chunked raw_records rows plus a JSON index.
//   <live_dir>/<run>/raw_records/index.json       {"format": "daqflow-live/1", dtype, compressor, chunks: [...], complete}
//   <live_dir>/<run>/raw_records/raw_records-NNNNNN  one compressed frame of packed strax raw_records rows
// Chunk boundaries are quiet: no pulse lies within the guard gap around them, so processing may cut there.
import fs from 'node:fs';
import path from 'node:path';
import { DataNotAvailableError } from '../../errors.js';
import { getCompressor } from '../compress/index.js';
import type { CompressorName } from '../compress/types.js';
import { DataCorruptedError, FrameError } from '../errors.js';
import { writeFileAtomicSync } from '../../util/atomic-write.js';

export const LIVE_FORMAT = 'daqflow-live/1';
export const LIVE_SUBDIR = 'raw_records';

export interface LiveChunkEntry {
  chunk_i: number;
  file: string;
  start: string;
  end: string;
  n: number;
  nbytes: number;
  filesize: number;
}

export interface LiveIndex {
  format: string;
  run_id: string;
  data_type: 'raw_records';
  dtype: string;
  compressor: CompressorName;
  start: string;
  end: string;
  complete: boolean;
  chunks: LiveChunkEntry[];
}

export function liveRunDir(liveDir: string, runId: string): string {
  return path.join(liveDir, runId);
}

export function liveIndexPath(liveDir: string, runId: string): string {
  return path.join(liveRunDir(liveDir, runId), LIVE_SUBDIR, 'index.json');
}

/** Read a run's live index; DataNotAvailableError (names the path) if the run has no live data. */
export function readLiveIndex(liveDir: string, runId: string): LiveIndex {
  const file = liveIndexPath(liveDir, runId);
  if (!fs.existsSync(file)) throw new DataNotAvailableError(`run ${runId}`, `no live data at ${path.dirname(file)}; check the run number and --live`, { run: runId, file });
  let index: LiveIndex;
  try {
    index = JSON.parse(fs.readFileSync(file, 'utf8')) as LiveIndex;
  } catch (error) {
    throw new DataCorruptedError(file, `live index is not valid JSON (${(error as Error).message})`);
  }
  if (index.format !== LIVE_FORMAT || !Array.isArray(index.chunks)) throw new DataCorruptedError(file, `not a ${LIVE_FORMAT} index`);
  if (!index.complete) throw new DataNotAvailableError(`run ${runId}`, `live data at ${path.dirname(file)} is still being written (index not complete)`, { run: runId, file });
  return index;
}

/** One live chunk as read from disk, still compressed (decoded by decodeLiveFrame, e.g. on a worker thread). */
export interface LiveFrame {
  file: string;
  compressor: CompressorName;
  nbytes: number;
  frame: Uint8Array;
}

/** Read live chunk i's compressed frame; a missing file is a DataCorruptedError naming it. */
export async function readLiveFrame(liveDir: string, index: LiveIndex, i: number): Promise<LiveFrame> {
  const entry = index.chunks[i]!;
  const file = path.join(liveRunDir(liveDir, index.run_id), LIVE_SUBDIR, entry.file);
  if (entry.n === 0) return { file, compressor: index.compressor, nbytes: 0, frame: new Uint8Array(0) };
  try {
    return { file, compressor: index.compressor, nbytes: entry.nbytes, frame: await fs.promises.readFile(file) };
  } catch (error) {
    throw new DataCorruptedError(file, `live chunk cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

/** Decompress a live frame; a damaged frame is a DataCorruptedError naming the file. */
export async function decodeLiveFrame(f: LiveFrame): Promise<Uint8Array> {
  if (f.nbytes === 0) return new Uint8Array(0);
  try {
    return await getCompressor(f.compressor).decompress(f.frame, f.nbytes);
  } catch (error) {
    if (error instanceof FrameError) throw new DataCorruptedError(f.file, `live chunk is damaged: ${error.message}`);
    throw error;
  }
}

/** Load and decompress live chunk i; a damaged file is a DataCorruptedError naming it. */
export async function readLiveChunk(liveDir: string, index: LiveIndex, i: number): Promise<Uint8Array> {
  return decodeLiveFrame(await readLiveFrame(liveDir, index, i));
}

/** Appends chunks to a run's live data; the index says `complete: false` until finish(). */
export class LiveWriter {
  readonly dir: string;
  private readonly index: LiveIndex;
  constructor(liveDir: string, runId: string, dtype: string, compressor: CompressorName, start: bigint) {
    this.dir = path.join(liveRunDir(liveDir, runId), LIVE_SUBDIR);
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
    this.index = { format: LIVE_FORMAT, run_id: runId, data_type: 'raw_records', dtype, compressor, start: String(start), end: String(start), complete: false, chunks: [] };
    this.writeIndex();
  }

  async append(start: bigint, end: bigint, rows: Uint8Array, itemsize: number): Promise<void> {
    const i = this.index.chunks.length;
    const file = `raw_records-${String(i).padStart(6, '0')}`;
    const frame = rows.length > 0 ? await getCompressor(this.index.compressor, { level: 1 }).compress(rows) : new Uint8Array(0);
    if (rows.length > 0) fs.writeFileSync(path.join(this.dir, file), frame);
    this.index.chunks.push({ chunk_i: i, file, start: String(start), end: String(end), n: rows.length / itemsize, nbytes: rows.length, filesize: frame.length });
    this.index.end = String(end);
    this.writeIndex();
  }

  finish(): LiveIndex {
    this.index.complete = true;
    this.writeIndex();
    return this.index;
  }

  private writeIndex(): void {
    writeFileAtomicSync(path.join(this.dir, 'index.json'), JSON.stringify(this.index, null, 1) + '\n');
  }
}
