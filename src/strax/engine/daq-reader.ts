// DAQReader's algorithm over a run's live folders: which chunk is ready, where its overlap windows break, and the
// rows of each output type (LIVE_FORMAT.md §3–4). Rows and chunk bounds equal what straxen's DAQReader produces.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataNotAvailableError } from '../../errors.js';
import { DataCorruptedError } from '../errors.js';
import { ARTIFICIAL_DEADTIME_CHANNEL, DAQ_RECORD, THE_END, decodeDaqFile, outputTypeOf, type DaqSettings } from './daq-live.js';

const SIZE = DAQ_RECORD.itemsize;
const TWO32 = 4294967296;

/** Packed raw_records rows with their times, end times and channels as numbers (exact: relative times < 2⁵³ ns). */
class Rows {
  readonly n: number;
  readonly time: Float64Array;
  readonly endtime: Float64Array;
  readonly channel: Int16Array;
  constructor(
    readonly bytes: Uint8Array,
    where: string,
  ) {
    this.n = bytes.length / SIZE;
    this.time = new Float64Array(this.n);
    this.endtime = new Float64Array(this.n);
    this.channel = new Int16Array(this.n);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < this.n; i++) {
      const o = i * SIZE;
      const hi = v.getInt32(o + 4, true);
      if (hi >= 2 ** 21 || hi < -(2 ** 21)) throw new DataCorruptedError(where, `record ${i} has time ${v.getBigInt64(o, true)} ns: live times are relative to the run start and must stay below 2^53 ns`);
      const t = hi * TWO32 + v.getUint32(o, true);
      this.time[i] = t;
      this.endtime[i] = t + v.getInt32(o + 8, true) * v.getInt16(o + 12, true);
      this.channel[i] = v.getInt16(o + 14, true);
    }
  }

  /** A stable sort by (time, channel), as strax.sort_by_time; sorted input is returned as is. */
  sorted(where: string): Rows {
    let isSorted = true;
    for (let i = 1; i < this.n && isSorted; i++) {
      isSorted = this.time[i - 1]! < this.time[i]! || (this.time[i - 1] === this.time[i] && this.channel[i - 1]! <= this.channel[i]!);
    }
    if (isSorted) return this;
    const order = Array.from({ length: this.n }, (_, i) => i);
    order.sort((a, b) => this.time[a]! - this.time[b]! || this.channel[a]! - this.channel[b]! || a - b);
    return new Rows(permute(this.bytes, order), where);
  }

  slice(from: number, to: number, where: string): Rows {
    return new Rows(this.bytes.subarray(from * SIZE, to * SIZE), where);
  }
}

function permute(bytes: Uint8Array, order: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(order.length * SIZE);
  for (let i = 0; i < order.length; i++) out.set(bytes.subarray(order[i]! * SIZE, (order[i]! + 1) * SIZE), i * SIZE);
  return out;
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** DAQReader's artificial-deadtime record: time, length, dt and channel 799, every other field 0. */
export function deadtimeRecord(time: number, length: number, dt: number): Uint8Array {
  const out = new Uint8Array(SIZE);
  const v = new DataView(out.buffer);
  v.setBigInt64(0, BigInt(time), true);
  v.setInt32(8, length, true);
  v.setInt16(12, dt, true);
  v.setInt16(14, ARTIFICIAL_DEADTIME_CHANNEL, true);
  return out;
}

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

/** A run's live folder as DAQReader sees it. */
export class DaqRun {
  private readonly total: number;
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

  /** Files of a folder in code-point order (no dot-files), decoded, concatenated and sorted by (time, channel). */
  private async readFolder(dir: string): Promise<{ rows: Rows; nbytes: number }> {
    const names = fs.readdirSync(dir).filter((n) => !n.startsWith('.')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const parts: Uint8Array[] = [];
    for (const name of names) {
      const file = path.join(dir, name);
      parts.push(await decodeDaqFile(file, await fs.promises.readFile(file), this.settings.compressor));
    }
    const bytes = parts.length === 1 ? parts[0]! : concatBytes(parts);
    return { rows: new Rows(bytes, dir).sorted(dir), nbytes: bytes.length };
  }

  /** DAQReader's _load_chunk: the folder's rows inside [s, e) and, for an overlap window, its break. */
  private async loadWindow(dir: string, s: number, e: number, kind: Kind): Promise<{ rows: Uint8Array; breakAt: number; nbytes: number; deadtime: boolean }> {
    const { rows: r, nbytes } = await this.readFolder(dir);
    const { safeBreakNs: G, recordLength: R, maxDtNs: D } = this.settings;
    let lastEnd = -Infinity;
    if (r.n > 0) {
      if (r.time[0]! < s || r.time[r.n - 1]! >= e) {
        throw new DataCorruptedError(dir, `records start from ${r.time[0]} to ${r.time[r.n - 1]} ns, outside this folder's window [${s}, ${e}) ns: the chunk length/overlap in the run's daq_config do not match the data`);
      }
      const k = R * this.settings.channelMap.reduce((a, c) => a + c.hi - c.lo + 1, 0);
      for (let i = Math.max(0, r.n - k); i < r.n; i++) lastEnd = Math.max(lastEnd, r.endtime[i]!);
    }
    if (kind === 'central') return { rows: r.bytes, breakAt: NaN, nbytes, deadtime: false };
    if (r.n === 0 || lastEnd + G < e) return { rows: kind === 'post' ? r.bytes : new Uint8Array(0), breakAt: e - G, nbytes, deadtime: false };
    const j = findBreak(r, G, s + R * D);
    if (j !== undefined) return { rows: kind === 'post' ? r.bytes.subarray(0, j * SIZE) : r.bytes.subarray(j * SIZE), breakAt: r.time[j]!, nbytes, deadtime: false };
    // No quiet time: break G before the end and mark the region where data may be lost with artificial deadtime.
    const breakAt = e - G;
    if (kind === 'pre') return { rows: deadtimeRecord(breakAt, Math.floor((e - breakAt) / D), D), breakAt, nbytes, deadtime: true };
    const kept: Uint8Array[] = [];
    for (let i = 0; i < r.n; i++) if (r.endtime[i]! <= breakAt) kept.push(r.bytes.subarray(i * SIZE, (i + 1) * SIZE));
    kept.push(deadtimeRecord(breakAt - R * D, R, D));
    return { rows: new Rows(concatBytes(kept), dir).sorted(dir).bytes, breakAt, nbytes, deadtime: true };
  }

  /** DAQReader's compute(i); call only when ready(i). */
  async load(i: number): Promise<DaqChunk> {
    const { chunkNs: L, overlapNs: O } = this.settings;
    const ts = i * (L + O);
    const te = ts + L;
    const ended = this.ended();
    let bpre = ts;
    let bpost = te;
    const parts: Uint8Array[] = [];
    let nbytes = 0;
    let deadtime = false;
    const preDir = this.chunkPath(i, '_pre');
    if (i > 0 && this.ok(preDir, ended)) {
      const w = await this.loadWindow(preDir, ts - O, ts, 'pre');
      [bpre, nbytes, deadtime] = [w.breakAt, nbytes + w.nbytes, deadtime || w.deadtime];
      parts.push(w.rows);
    }
    const main = await this.loadWindow(this.chunkPath(i), ts, te, 'central');
    parts.push(main.rows);
    nbytes += main.nbytes;
    const postDir = this.chunkPath(i, '_post');
    if (this.ok(postDir, ended)) {
      const w = await this.loadWindow(postDir, te, te + O, 'post');
      [bpost, nbytes, deadtime] = [w.breakAt, nbytes + w.nbytes, deadtime || w.deadtime];
      parts.push(w.rows);
    }
    const start = this.settings.t0 + BigInt(bpre);
    const end = this.settings.t0 + BigInt(bpost);
    const outputs = this.split(concatBytes(parts), this.chunkPath(i), start, end);
    return { index: i, start, end, outputs, nbytes, deadtime };
  }

  /** split_channel_ranges, then the shift to unix time by a whole number of samples; checks the chunk bounds. */
  private split(bytes: Uint8Array, where: string, start: bigint, end: bigint): Record<string, Uint8Array> {
    const ranges = this.settings.channelMap;
    const n = bytes.length / SIZE;
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const which = new Int16Array(n);
    const counts = new Array<number>(ranges.length).fill(0);
    for (let i = 0; i < n; i++) {
      const ch = v.getInt16(i * SIZE + 14, true);
      const d = ranges.findIndex((r) => ch <= r.hi);
      if (d < 0 || ch < ranges[d]!.lo) {
        throw new DataCorruptedError(where, `a record on channel ${ch} (time ${v.getBigInt64(i * SIZE, true)}) is in no range of live.channel_map; add its subdetector to the map`);
      }
      which[i] = d;
      counts[d]!++;
    }
    const arrays = counts.map((c) => new Uint8Array(c * SIZE));
    const placed = new Array<number>(ranges.length).fill(0);
    for (let i = 0; i < n; i++) {
      const d = which[i]!;
      arrays[d]!.set(bytes.subarray(i * SIZE, (i + 1) * SIZE), placed[d]! * SIZE);
      placed[d]!++;
    }
    const out: Record<string, Uint8Array> = {};
    ranges.forEach((r, d) => {
      const type = outputTypeOf(r.name);
      if (type === undefined) return;
      const rows = arrays[d]!;
      if (rows.length > 0) shiftTimes(rows, this.settings.t0);
      checkChunkBounds(rows, `${where} (${type})`, start, end);
      out[type] = out[type] ? concatBytes([out[type]!, rows]) : rows;
    });
    return out;
  }
}

/** time += dt0 · (t0 // dt0), dt0 the dt of the first record. */
function shiftTimes(rows: Uint8Array, t0: bigint): void {
  const v = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  const dt0 = BigInt(v.getInt16(12, true));
  const shift = dt0 > 0n ? dt0 * (t0 / dt0) : t0;
  for (let o = 0; o < rows.length; o += SIZE) v.setBigInt64(o, v.getBigInt64(o, true) + shift, true);
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
function findBreak(r: Rows, G: number, notBefore: number): number | undefined {
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
