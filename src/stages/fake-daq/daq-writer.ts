// Writes raw_records the way redax's StraxFormatter does (LIVE_FORMAT.md §1–2): each reader thread routes its records
// to chunk c = floor(t/F) (to the overlap window when t ≥ c·F + L), writes chunk N's files (N, N_post and the identical
// N+1_pre) through `<dir>_temp` + rename, puts zero-byte placeholders into every earlier folder it has no file in, and
// ends with THE_END/<file>. Times in the files are relative to the run start.
import fs from 'node:fs';
import path from 'node:path';
import { getCompressor } from '../../strax/compress/index.js';
import { DAQ_RECORD, THE_END, type DaqCompressor } from '../../strax/engine/daq-live.js';

const SIZE = DAQ_RECORD.itemsize;

export interface DaqWriterOptions {
  runDir: string;
  /** Run start (ns since the epoch, whole seconds): subtracted from every record time. */
  t0: bigint;
  chunkNs: number;
  overlapNs: number;
  /** Reader name (the file name without its last `_` part) and its thread count. */
  reader: string;
  threads: number;
  /** Thread of a channel (redax: each thread reads its own digitizers). */
  threadOf: (channel: number) => number;
  compressor: DaqCompressor;
}

interface Pending {
  central: Uint8Array[][];
  post: Uint8Array[][];
}

export class DaqWriter {
  private readonly pending = new Map<number, Pending>();
  /** Per thread: whether it saw any data, and below which chunk its placeholders are in place. */
  private readonly hadData: boolean[];
  private readonly emptiedBelow: number[];
  private flushedBelow = 0;
  private lastChunk = -1;

  constructor(private readonly o: DaqWriterOptions) {
    fs.mkdirSync(o.runDir, { recursive: true });
    this.hadData = new Array<boolean>(o.threads).fill(false);
    this.emptiedBelow = new Array<number>(o.threads).fill(0);
  }

  fileName(thread: number): string {
    return `${this.o.reader}_${thread}`;
  }

  /** Route rows (absolute times, any order); chunks that end before `doneBefore` (absolute ns) are written. */
  async add(rows: Uint8Array, doneBefore: bigint): Promise<void> {
    const v = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
    const F = this.o.chunkNs + this.o.overlapNs;
    for (let off = 0; off < rows.length; off += SIZE) {
      const rel = v.getBigInt64(off, true) - this.o.t0;
      const row = new Uint8Array(rows.subarray(off, off + SIZE)); // a copy (Buffer.slice would share memory)
      new DataView(row.buffer).setBigInt64(0, rel, true);
      const t = Number(rel);
      const c = Math.trunc(t / F); // redax's integer division: a slightly negative time lands in chunk 0
      if (c < this.flushedBelow) throw new RangeError(`record at ${t} ns arrived after chunk ${c} was written`);
      const p = this.pendingOf(c);
      const thread = this.o.threadOf(v.getInt16(off + 14, true));
      (t >= c * F + this.o.chunkNs ? p.post : p.central)[thread]!.push(row);
      this.hadData[thread] = true;
      this.lastChunk = Math.max(this.lastChunk, c);
    }
    const done = Math.floor(Number(doneBefore - this.o.t0) / F);
    for (let c = this.flushedBelow; c < done; c++) await this.flushChunk(c, false);
  }

  private pendingOf(c: number): Pending {
    let p = this.pending.get(c);
    if (!p) {
      p = { central: Array.from({ length: this.o.threads }, () => []), post: Array.from({ length: this.o.threads }, () => []) };
      this.pending.set(c, p);
    }
    return p;
  }

  private folder(c: number, suffix = ''): string {
    return path.join(this.o.runDir, `${String(c).padStart(6, '0')}${suffix}`);
  }

  /** Write one file through `<dir>_temp/<file>` and a rename. */
  private writeFile(dir: string, name: string, bytes: Uint8Array): void {
    fs.mkdirSync(`${dir}_temp`, { recursive: true });
    fs.mkdirSync(dir, { recursive: true });
    const tmp = path.join(`${dir}_temp`, name);
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, path.join(dir, name));
  }

  private async flushChunk(c: number, last: boolean): Promise<void> {
    const p = this.pending.get(c);
    this.pending.delete(c);
    const codec = getCompressor(this.o.compressor, { level: 5 });
    for (let th = 0; th < this.o.threads; th++) {
      const central = p?.central[th] ?? [];
      const post = p?.post[th] ?? [];
      if (central.length > 0) this.writeFile(this.folder(c), this.fileName(th), await codec.compress(Buffer.concat(central)));
      if (post.length > 0) {
        const blob = await codec.compress(Buffer.concat(post));
        this.writeFile(this.folder(c, '_post'), this.fileName(th), blob);
        this.writeFile(this.folder(c + 1, '_pre'), this.fileName(th), blob);
      }
      if (!last) this.createEmpty(th, c + 1);
      else this.createEmpty(th, c);
    }
    this.flushedBelow = c + 1;
  }

  /** redax's CreateEmpty: zero-byte files into c, c_post and (c+1)_pre for every chunk c < upTo the thread has none in. */
  private createEmpty(th: number, upTo: number): void {
    for (let c = this.emptiedBelow[th]!; c < upTo; c++) {
      for (const dir of [this.folder(c), this.folder(c, '_post'), this.folder(c + 1, '_pre')]) {
        if (!fs.existsSync(path.join(dir, this.fileName(th)))) this.writeFile(dir, this.fileName(th), new Uint8Array(0));
      }
    }
    this.emptiedBelow[th] = Math.max(this.emptiedBelow[th]!, upTo);
  }

  /** Flush everything; the last chunk's folders hold only files of threads with data there; then THE_END per thread. */
  async finish(): Promise<void> {
    for (let c = this.flushedBelow; c <= this.lastChunk; c++) await this.flushChunk(c, c === this.lastChunk);
    for (let th = 0; th < this.o.threads; th++) {
      if (this.hadData[th]) this.writeFile(path.join(this.o.runDir, THE_END), this.fileName(th), new TextEncoder().encode('...my only friend\n'));
    }
  }
}
