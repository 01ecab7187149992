// DAQReader's algorithm over a run's live folders: which chunk is ready, where its overlap windows break, and the
// rows of each output type (LIVE_FORMAT.md §3–4). Rows and chunk bounds equal what straxen's DAQReader produces.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataNotAvailableError } from '../../errors.js';
import { DataCorruptedError } from '../errors.js';
import { THE_END, decodeDaqFile, outputTypeOf, type DaqSettings } from './daq-live.js';
import { BufferPool } from '../../util/buffer-pool.js';
import { lz4DecodeBuffer } from '../compress/lz4-into.js';
import { asBuffer } from '../compress/types.js';
import { readWhole } from '../storage/file-io.js';
import { EMPTY, SIZE, Selection, TWO32, WORDS, deadtime, words } from './daq-rows.js';

/** One chunk as DAQReader yields it: absolute bounds [start, end) and the rows of every output type. */
export interface DaqChunk {
  index: number;
  start: bigint;
  end: bigint;
  outputs: Record<string, Uint8Array>;
  /** Decoded bytes read from the chunk's folders. */
  nbytes: number;
  /** Artificial deadtime was inserted at one of its overlap breaks. */
  deadtime: boolean;
}

type Kind = 'pre' | 'central' | 'post';

/** Decode buffers are asked for in whole MiB, so that one made for a file also fits the next, slightly larger one. */
const DECODE_ROUNDING = 1 << 20;
/** Free decode buffers kept between chunks: a chunk's folders (pre, central, post) of files of up to tens of MB. */
const DECODE_POOL_MAX_FREE_BYTES = 256 * 1024 * 1024;
/** Free read buffers kept: files are read one at a time, so one or two. */
const FRAME_POOL_MAX_FREE_BYTES = 64 * 1024 * 1024;

/** A run's live folder as DAQReader sees it. */
export class DaqRun {
  private readonly total: number;
  /** Buffers the live files are decoded into, reused from chunk to chunk (no fresh pages, no garbage per file). */
  private readonly decoded = new BufferPool(DECODE_POOL_MAX_FREE_BYTES, lz4DecodeBuffer);
  /** Buffers the compressed files are read into, each given back as soon as its file is decoded. */
  private readonly frames = new BufferPool(FRAME_POOL_MAX_FREE_BYTES);
  constructor(
    readonly dir: string,
    readonly settings: DaqSettings,
  ) {
    this.total = Object.values(settings.readoutThreads).reduce((a, b) => a + b, 0);
  }

  chunkPath(i: number, suffix = ''): string {
    return path.join(this.dir, `${String(i).padStart(6, '0')}${suffix}`);
  }

  /** Entries in `dir` (dot-files too), checked against the readout threads; undefined when it does not exist. */
  count(dir: string): number | undefined {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const perThread = new Map<string, number>();
    for (const name of names) {
      const reader = name.split('_').slice(0, -1).join('_');
      const limit = this.settings.readoutThreads[reader];
      if (limit === undefined) {
        throw new DataCorruptedError(path.join(dir, name), `reader ${JSON.stringify(reader)} (the file name without its last _ part) is not one of the run's readout threads (${Object.keys(this.settings.readoutThreads).join(', ')}); remove the file or fix processing_threads in the run's daq_config`);
      }
      const n = (perThread.get(reader) ?? 0) + 1;
      if (n > limit) throw new DataCorruptedError(dir, `reader ${reader} wrote ${n} files, but it has ${limit} thread(s) (processing_threads in the run's daq_config)`);
      perThread.set(reader, n);
    }
    return names.length;
  }

  /** Every thread has written its THE_END marker. */
  ended(): boolean {
    return (this.count(path.join(this.dir, THE_END)) ?? 0) >= this.total;
  }

  private ok(dir: string, ended: boolean): boolean {
    const n = this.count(dir);
    return n !== undefined && (n >= this.total || ended);
  }

  /** DAQReader's is_ready(i). */
  ready(i: number): boolean {
    const ended = this.ended();
    const cur = this.ok(this.chunkPath(i), ended);
    if (!cur) return false;
    const pre = this.ok(this.chunkPath(i, '_pre'), ended);
    const post = this.ok(this.chunkPath(i, '_post'), ended);
    const nextAhead = fs.existsSync(this.chunkPath(i + 1));
    return (pre && post) || (i === 0 && post) || (ended && pre && !nextAhead);
  }

  /** Files of a folder in code-point order (no dot-files), decoded and sorted by (time, channel). */
  private async readFolder(dir: string, held: Uint8Array[]): Promise<{ rows: Selection; nbytes: number }> {
    const names = fs.readdirSync(dir).filter((n) => !n.startsWith('.')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const parts: Int32Array[] = [];
    let nbytes = 0;
    for (const name of names) {
      const file = path.join(dir, name);
      // The compressed file is read into a reused buffer too: no decoder keeps a view of its input.
      const frame = await readWhole(file, (size) => asBuffer(this.frames.take(Math.ceil(size / DECODE_ROUNDING) * DECODE_ROUNDING)));
      let bytes: Uint8Array;
      try {
        bytes = await decodeDaqFile(file, frame, this.settings.compressor, (n) => {
          const buffer = this.decoded.take(Math.ceil(n / DECODE_ROUNDING) * DECODE_ROUNDING);
          held.push(buffer);
          return buffer;
        });
      } finally {
        this.frames.give(frame);
      }
      nbytes += bytes.length;
      if (bytes.length > 0) parts.push(words(bytes));
    }
    return { rows: Selection.of(parts, dir).sorted(), nbytes };
  }

  /** DAQReader's _load_chunk: the folder's rows inside [s, e) and, for an overlap window, its break. */
  private async loadWindow(dir: string, s: number, e: number, kind: Kind, held: Uint8Array[]): Promise<{ rows: Selection; breakAt: number; nbytes: number; deadtime: boolean }> {
    const { rows: r, nbytes } = await this.readFolder(dir, held);
    const { safeBreakNs: G, recordLength: R, maxDtNs: D } = this.settings;
    let lastEnd = -Infinity;
    if (r.n > 0) {
      if (r.time[0]! < s || r.time[r.n - 1]! >= e) {
        throw new DataCorruptedError(dir, `records start from ${r.time[0]} to ${r.time[r.n - 1]} ns, outside this folder's window [${s}, ${e}) ns: the chunk length/overlap in the run's daq_config do not match the data`);
      }
      const k = R * this.settings.channelMap.reduce((a, c) => a + c.hi - c.lo + 1, 0);
      for (let i = Math.max(0, r.n - k); i < r.n; i++) lastEnd = Math.max(lastEnd, r.endtime[i]!);
    }
    if (kind === 'central') return { rows: r, breakAt: NaN, nbytes, deadtime: false };
    if (r.n === 0 || lastEnd + G < e) return { rows: kind === 'post' ? r : EMPTY, breakAt: e - G, nbytes, deadtime: false };
    const j = findBreak(r, G, s + R * D);
    if (j !== undefined) return { rows: kind === 'post' ? r.range(0, j) : r.range(j, r.n), breakAt: r.time[j]!, nbytes, deadtime: false };
    // No quiet time: break G before the end and mark the region where data may be lost with artificial deadtime.
    const breakAt = e - G;
    if (kind === 'pre') return { rows: deadtime(breakAt, Math.floor((e - breakAt) / D), D), breakAt, nbytes, deadtime: true };
    const kept: number[] = [];
    for (let i = 0; i < r.n; i++) if (r.endtime[i]! <= breakAt) kept.push(i);
    // The deadtime record is appended, then everything is stably re-sorted: it goes after rows with (time, channel) ≤ its own.
    const marked = r.pick(kept).concat(deadtime(breakAt - R * D, R, D));
    return { rows: marked.sorted(), breakAt, nbytes, deadtime: true };
  }

  /** DAQReader's compute(i); call only when ready(i). */
  async load(i: number): Promise<DaqChunk> {
    // The decoded files are read only until split() has copied their rows into the outputs.
    const held: Uint8Array[] = [];
    try {
      return await this.loadWith(i, held);
    } finally {
      for (const buffer of held) this.decoded.give(buffer);
    }
  }

  private async loadWith(i: number, held: Uint8Array[]): Promise<DaqChunk> {
    const { chunkNs: L, overlapNs: O } = this.settings;
    const ts = i * (L + O);
    const te = ts + L;
    const ended = this.ended();
    let bpre = ts;
    let bpost = te;
    let rows = EMPTY;
    let nbytes = 0;
    let deadtime = false;
    const preDir = this.chunkPath(i, '_pre');
    if (i > 0 && this.ok(preDir, ended)) {
      const w = await this.loadWindow(preDir, ts - O, ts, 'pre', held);
      [bpre, nbytes, deadtime, rows] = [w.breakAt, nbytes + w.nbytes, deadtime || w.deadtime, w.rows];
    }
    const main = await this.loadWindow(this.chunkPath(i), ts, te, 'central', held);
    rows = rows.concat(main.rows);
    nbytes += main.nbytes;
    const postDir = this.chunkPath(i, '_post');
    if (this.ok(postDir, ended)) {
      const w = await this.loadWindow(postDir, te, te + O, 'post', held);
      [bpost, nbytes, deadtime, rows] = [w.breakAt, nbytes + w.nbytes, deadtime || w.deadtime, rows.concat(w.rows)];
    }
    const start = this.settings.t0 + BigInt(bpre);
    const end = this.settings.t0 + BigInt(bpost);
    const outputs = this.split(rows, this.chunkPath(i), start, end);
    return { index: i, start, end, outputs, nbytes, deadtime };
  }

  /** split_channel_ranges, gathering each subdetector's rows and shifting them to unix time; checks the chunk bounds. */
  private split(rows: Selection, where: string, start: bigint, end: bigint): Record<string, Uint8Array> {
    const ranges = this.settings.channelMap;
    const which = new Int16Array(rows.n);
    const counts = new Array<number>(ranges.length).fill(0);
    for (let i = 0; i < rows.n; i++) {
      const ch = rows.channel[i]!;
      let d = 0;
      while (d < ranges.length && ch > ranges[d]!.hi) d++;
      if (d === ranges.length || ch < ranges[d]!.lo) {
        throw new DataCorruptedError(where, `a record on channel ${ch} (time ${rows.time[i]} ns after the run start) is in no range of live.channel_map; add its subdetector to the map`);
      }
      which[i] = d;
      counts[d]!++;
    }
    const types = ranges.map((r) => outputTypeOf(r.name));
    // Every byte of every row is written below, so the memory need not be zeroed first.
    const bytes = counts.map((c, d): Uint8Array => Buffer.allocUnsafeSlow(types[d] === undefined ? 0 : c * SIZE));
    const dst = bytes.map((b) => new Int32Array(b.buffer));
    const filled = new Array<number>(ranges.length).fill(0);
    // time += dt0 · (t0 // dt0), dt0 the dt of the subdetector's first record: added as two 32-bit halves with carry.
    const shiftLo = new Float64Array(ranges.length);
    const shiftHi = new Float64Array(ranges.length);
    const dropped = types.map((t) => t === undefined);
    for (let i = 0; i < rows.n; i++) {
      const d = which[i]!;
      if (dropped[d]) continue;
      const src = rows.parts[rows.part[i]!]!;
      const o = rows.row[i]! * WORDS;
      const out = dst[d]!;
      const k = filled[d]!++;
      if (k === 0) [shiftLo[d], shiftHi[d]] = shiftOf(this.settings.t0, (src[o + 3]! << 16) >> 16);
      const q = k * WORDS;
      out.set(src.subarray(o + 2, o + WORDS), q + 2);
      const lo = (src[o]! >>> 0) + shiftLo[d]!;
      out[q] = lo >>> 0;
      out[q + 1] = src[o + 1]! + shiftHi[d]! + (lo >= TWO32 ? 1 : 0);
    }
    const out: Record<string, Uint8Array> = {};
    types.forEach((type, d) => {
      if (type === undefined) return;
      checkChunkBounds(bytes[d]!, `${where} (${type})`, start, end);
      out[type] = bytes[d]!;
    });
    return out;
  }
}

/** dt0 · (t0 // dt0) as unsigned low and signed high 32-bit halves. */
function shiftOf(t0: bigint, dt0: number): [number, number] {
  const dt = BigInt(dt0);
  const shift = dt > 0n ? dt * (t0 / dt) : t0;
  return [Number(shift & 0xffffffffn), Number(BigInt.asIntN(32, shift >> 32n))];
}

/** strax.Chunk's check: first time ≥ start, and the max end time of the last 500 rows ≤ end. */
function checkChunkBounds(rows: Uint8Array, where: string, start: bigint, end: bigint): void {
  const n = rows.length / SIZE;
  if (n === 0) return;
  const v = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  const first = v.getBigInt64(0, true);
  let maxEnd = first;
  for (let i = Math.max(0, n - 500); i < n; i++) {
    const o = i * SIZE;
    const e = v.getBigInt64(o, true) + BigInt(v.getInt32(o + 8, true) * v.getInt16(o + 12, true));
    if (e > maxEnd) maxEnd = e;
  }
  if (first < start || maxEnd > end) {
    throw new DataCorruptedError(where, `rows span [${first}, ${maxEnd}) ns, outside the chunk [${start}, ${end}): a record crosses the chunk end (e.g. a last chunk without _post) — the DAQ data are inconsistent, strax refuses them too`);
  }
}

/** strax's _find_break_i: the first j ≥ 1 whose time is ≥ G after every earlier end (and after notBefore). */
function findBreak(r: Selection, G: number, notBefore: number): number | undefined {
  if (r.n < 2) return undefined;
  let latest = Math.max(notBefore, r.endtime[0]!);
  for (let j = 1; j < r.n; j++) {
    if (r.time[j]! >= latest + G) return j;
    latest = Math.max(latest, r.endtime[j]!);
  }
  return undefined;
}

export interface FollowOptions {
  /** Wait for chunks while the run is still being written (straxer --follow); else a run without THE_END is an error. */
  follow: boolean;
  /** Poll interval (DAQReader: 2 s). */
  pollMs: number;
  /** Give up when no new chunk became ready for this long (DAQReader: 300 s). */
  timeoutMs: number;
  signal?: AbortSignal;
  runId: string;
}

/** The indices of the chunks DAQReader would yield, in order, each once it is ready. */
export async function* readyChunks(run: DaqRun, o: FollowOptions): AsyncGenerator<number> {
  for (let i = 0; ; i++) {
    const since = Date.now();
    for (;;) {
      if (run.ready(i)) break;
      if (run.ended()) return;
      if (!o.follow) {
        throw new DataNotAvailableError(`run ${o.runId}`, `live data at ${run.dir} is still being written (not every reader thread has written THE_END); use straxer --follow to process it while it is written`, { run: o.runId, file: run.dir });
      }
      if (Date.now() - since > o.timeoutMs) {
        throw new DataNotAvailableError(`run ${o.runId}`, `no live chunk became ready for ${Math.round(o.timeoutMs / 1000)} s (waiting for chunk ${i} under ${run.dir}); the DAQ may have stopped without THE_END — raise --follow-timeout or check the DAQ`, { run: o.runId, file: run.dir });
      }
      await sleep(o.pollMs, undefined, { signal: o.signal });
    }
    yield i;
  }
}
