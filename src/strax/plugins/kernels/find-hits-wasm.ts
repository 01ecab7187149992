// strax.find_hits in WebAssembly (wasm/find-hits.ts): the same hit rows, sort keys and integration windows as findHits
// in find-hits.ts, which stays the fallback where no WebAssembly memory can be had (ulimit -v) and the reference the
// tests compare with. The records are copied into the module's memory a block at a time: a copy of the whole chunk
// would push the records out of the processor's cache, where the peaklets that follow read them again (that cost
// them 5–8 %). The memory holds, one after the other:
//   [0, TABLES_AT)       the module's own static data
//   window tables        the integration windows' per-channel state (TABLES_BYTES)
//   block                one block of records, then 16 bytes the eight-sample comparisons may read past the last one
//   rows                 the hit rows, room for `capacity` of them
//   keys                 their sort keys, doubles
//   order, counts        the sort's scratch: two row indices per row, 65 537 digit counts
//   sorted               the rows sorted by (time, channel), copied out to the caller
import type { RecordLayout } from '../../dtype/layout.js';
import { InternalError } from '../../../errors.js';
import { growWasmMemory, ifWasmMemory, wasmMemory, wasmModule } from '../../../util/wasm.js';
import { fieldOffsets } from './fields.js';
import { BadRecordLength, HIT, HIT_AT, type FoundHits } from './find-hits.js';
import { permuteHitRows } from './hit-order.js';
import { sortedOrder } from '../packed.js';
import type { TimeBase } from './fields.js';

interface FindHitsExports {
  configureRecords(time: number, length: number, dt: number, channel: number, baseline: number, data: number, size: number, samples: number): void;
  configureHits(...offsets: number[]): void;
  resetWindows(at: number): void;
  setOutput(out: number): void;
  findHits(records: number, n: number, from: number, first: number, threshold: number, base: bigint, out: number, keys: number, nh: number, cap: number, windows: number, left: bigint, right: bigint): number;
  resumeRecord(): number;
  finishWindows(): void;
  sortRows(rows: number, keys: number, n: number, out: number, order: number, count: number): number;
  TABLES_BYTES: { value: number };
}

const TABLES_AT = 65536;
/** Records copied in at a time: well inside the processor's second-level cache. */
const BLOCK_BYTES = 256 * 1024;
/** Bytes after the records that the eight-sample comparisons may read (never use). */
const SLACK = 16;

const align = (x: number, to: number) => Math.ceil(x / to) * to;

/** One thread's hit finder in WebAssembly, for records of one layout. Its results are valid until its next call. */
export class WasmHitFinder {
  private readonly tablesEnd: number;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly x: FindHitsExports,
    private readonly samples: number,
    private readonly lengthAt: number,
    private readonly recordSize: number,
  ) {
    this.tablesEnd = TABLES_AT + x.TABLES_BYTES.value;
  }

  /** A finder for records of `layout`, or undefined where no WebAssembly memory can be had (use findHits then). */
  static for(layout: RecordLayout): WasmHitFinder | undefined {
    if (HIT.itemsize % 16 !== 0) throw new InternalError(`hit rows of ${HIT.itemsize} bytes: the WebAssembly sort copies rows as whole 16-byte lanes`);
    const memory = ifWasmMemory(() => wasmMemory(4 * TABLES_AT, 'the hit finder', false));
    if (!memory) return undefined;
    const x = new WebAssembly.Instance(wasmModule('find-hits'), { env: { memory, abort: () => { throw new Error('find-hits WebAssembly aborted'); } } }).exports as unknown as FindHitsExports;
    const rec = fieldOffsets(layout, ['time', 'length', 'dt', 'channel', 'baseline', 'data']);
    const samples = layout.field('data').count;
    x.configureRecords(rec.time, rec.length, rec.dt, rec.channel, rec.baseline, rec.data, rec.itemsize, samples);
    const h = HIT_AT;
    x.configureHits(h.time, h.length, h.dt, h.channel, h.area, h.left, h.right, h.left_integration, h.right_integration, h.record_i, h.threshold, h.height, h.max_time, HIT.itemsize);
    return new WasmHitFinder(memory, x, samples, rec.length, rec.itemsize);
  }

  /**
   * The hits of `records` (in record order) and their sort keys; with `saveOutsideHits`, their integration windows
   * inside the record. Throws BadRecordLength for a record whose length is negative or beyond its data field, and
   * WasmMemoryError when the memory cannot grow to hold the records and their hits.
   */
  find(records: Uint8Array, threshold: number, base: TimeBase, saveOutsideHits?: readonly [number, number]): FoundHits {
    const recordSize = this.recordSize;
    const n = records.length / recordSize;
    const perBlock = Math.max(1, Math.floor(BLOCK_BYTES / recordSize));
    const blockAt = align(this.tablesEnd, 16);
    const rowsAt = align(blockAt + perBlock * recordSize + SLACK, 16);
    let capacity = 2 * n + 64;
    let keysAt = rowsAt + capacity * HIT.itemsize;
    growWasmMemory(this.memory, keysAt + 8 * capacity, 'the hit finder');
    const x = this.x;
    const windows = saveOutsideHits !== undefined;
    if (windows) {
      x.resetWindows(TABLES_AT);
      x.setOutput(rowsAt);
    }
    const [left, right] = (saveOutsideHits ?? [0, 0]).map(BigInt) as [bigint, bigint];
    let nh = 0;
    for (let first = 0; first < n; first += perBlock) {
      const count = Math.min(perBlock, n - first);
      new Uint8Array(this.memory.buffer, blockAt, count * recordSize).set(records.subarray(first * recordSize, (first + count) * recordSize));
      for (let from = 0; ; ) {
        nh = x.findHits(blockAt, count, from, first, threshold, base.value, rowsAt, keysAt, nh, capacity, windows ? 1 : 0, left, right);
        if (nh < 0) {
          const i = first - 1 - nh;
          throw new BadRecordLength(i, new DataView(records.buffer, records.byteOffset + i * recordSize + this.lengthAt).getInt32(0, true), this.samples);
        }
        from = x.resumeRecord();
        if (from >= count) break;
        // More hits than room for them: double the room, moving the keys found so far behind the larger rows.
        const grown = 2 * capacity;
        const grownKeysAt = rowsAt + grown * HIT.itemsize;
        growWasmMemory(this.memory, grownKeysAt + 8 * grown, 'the hit finder');
        new Uint8Array(this.memory.buffer).copyWithin(grownKeysAt, keysAt, keysAt + 8 * nh);
        [capacity, keysAt] = [grown, grownKeysAt];
      }
    }
    if (windows) x.finishWindows();
    return { words: new Int32Array(this.memory.buffer, rowsAt, nh * (HIT.itemsize / 4)), keys: new Float64Array(this.memory.buffer, keysAt, nh), n: nh };
  }

  /**
   * find(), then the rows sorted by (time, channel), stable (strax.sort_by_time), in a buffer of their own. Keys that
   * are not integers in [0, 2⁴⁸) are sorted by sortedOrder's comparison sort, as in JavaScript.
   */
  findSorted(records: Uint8Array, threshold: number, base: TimeBase, saveOutsideHits?: readonly [number, number]): Uint8Array {
    const { words, keys, n } = this.find(records, threshold, base, saveOutsideHits);
    const [rowsAt, keysAt] = [words.byteOffset, keys.byteOffset];
    const orderAt = align(keysAt + 8 * n, 16);
    const countAt = orderAt + 8 * n;
    const sortedAt = align(countAt + 4 * 65537, 16);
    growWasmMemory(this.memory, sortedAt + n * HIT.itemsize, 'the hit finder');
    if (this.x.sortRows(rowsAt, keysAt, n, sortedAt, orderAt, countAt) === 0) {
      // The views find() returned may be detached by the growth above: view the same bytes anew.
      return permuteHitRows(new Int32Array(this.memory.buffer, rowsAt, n * (HIT.itemsize / 4)), sortedOrder(new Float64Array(this.memory.buffer, keysAt, n), n), n);
    }
    return new Uint8Array(this.memory.buffer, sortedAt, n * HIT.itemsize).slice();
  }
}
