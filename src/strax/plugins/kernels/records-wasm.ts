// A chunk's records in WebAssembly memory (wasm/records-kernels.ts), for the peaklet recipe's kernels that read them
// there: record links, the hitlets' integration bounds, the hitlets, and sum_waveform; and find_peaks, which reads only
// hits but runs in the same module and memory. One memory per thread; a `WasmRecords` holds one chunk's records (and,
// once given, the hits' columns) for one recipe call: loading the next records, or finding peaks, makes it stale.
// The records are copied whole: the hits of a peak come from records far apart in the chunk, and a copy into memory
// already resident costs ~10 ms per 42 MB chunk. Each kernel's JavaScript is the fallback and the reference.
import { InternalError } from '../../../errors.js';
import type { RecordLayout } from '../../dtype/layout.js';
import { growWasmMemory, grows, ifWasmMemory, wasmMemory, wasmModule } from '../../../util/wasm.js';
import { joinParts } from '../../chunk/rechunker.js';
import { fieldOffsets, type TimeBase } from './fields.js';
import type { HitColumns } from './hit-columns.js';
import { HIT, HIT_AT } from './find-hits.js';
import type { Intervals } from './integration-bounds.js';
import type { FindPeaksOptions } from './find-peaks.js';
import { DIGITAL_SUM_WAVEFORM_CHANNEL } from '../../dtype/standard.js';
import type { RecordLinks } from './record-links.js';

interface RecordsKernelsExports {
  linkRecords(records: number, n: number, size: number, timeAt: number, dtAt: number, channelAt: number, recordIAt: number, samples: number, base: bigint, prev: number, next: number, lastOfChannel: number): void;
  configurePeaks(size: number, time: number, length: number, dt: number, area: number, areaPerChannel: number, dataTop: number, dataStart: number, data: number, saturated: number, nSaturated: number, samples: number, channels: number): void;
  configureRecords(size: number, length: number, baseline: number, bitShift: number, data: number, samples: number): void;
  recordColumns(records: number, n: number, size: number, timeAt: number, dtAt: number, lengthAt: number, base: bigint, start: number, startSample: number, dt: number, length: number): void;
  setHits(time: number, length: number, record: number, leftIntegration: number, rightIntegration: number, channel: number, n: number): void;
  setRecords(at: number, n: number, prev: number, next: number): void;
  setScratch(sumAt: number, topAt: number, capacity: number, areaPerChannelAt: number, saturatedAt: number, hitSamplesAt: number, toPeAt: number, toPeLength: number): void;
  setStartColumns(hitStartsAt: number, recordStartSamplesAt: number): void;
  sumWaveforms(peaks: number, n: number, dt: number, base: bigint, nTop: number, storeTop: number, storeStart: number): number;
  BAD_RECORD: { value: number };
  integrationBounds(
    hits: number, n: number, hitSize: number, hTimeAt: number, hLengthAt: number, hDtAt: number, hRecordAt: number, hChannelAt: number, leftAt: number, rightAt: number,
    nRecords: number, columnStart: number, columnDt: number, columnLength: number,
    base: bigint, exStart: number, exEnd: number, nExcluded: number, left: number, right: number, insideRecord: number, scratch: number,
  ): number;
  BAD_HIT_RECORD: { value: number };
  configureFindPeaks(hSize: number, hTime: number, hLength: number, hDt: number, hChannel: number, hArea: number, pSize: number, pTime: number, pLength: number, pDt: number, pChannel: number, pArea: number, pAreaPerChannel: number, pNHits: number, pMaxGap: number, digitalSumChannel: number): void;
  findPeaksFrom(
    hits: number, n: number, first: number, base: bigint, toPe: number, nChannels: number, gapThreshold: number, leftExtension: number, rightExtension: number,
    minArea: number, minChannels: number, maxDuration: number, starts: number, ends: number, out: number, capacity: number, apc: number, list: number, member: number,
  ): number;
  hitletColumns(
    hits: number, n: number, hitSize: number, hTimeAt: number, hLeftAt: number, hLeftIntegrationAt: number, hRightIntegrationAt: number, hDtAt: number, hChannelAt: number, hRecordAt: number,
    base: bigint, clipStart: number, clipEnd: number, time: number, length: number, record: number, left: number, right: number, channel: number, end: number, order: number, keys: number,
  ): number;
  resumeHit(): number;
  refusedChannel(): number;
  BAD_CHANNEL: { value: number };
  partitionContained(rows: number, n: number, size: number, start: number, end: number, cStart: number, cEnd: number, m: number, outside: number, inside: number): number;
  touchingCounts(start: number, end: number, n: number, cStart: number, cEnd: number, m: number, out: number): number;
  configureProperties(size: number, time: number, length: number, dt: number, area: number, areaFractionTop: number, areaPerChannel: number, data: number, centerTime: number, medianTime: number, width: number, areaDecile: number, samples: number): void;
  computeProperties(peaks: number, n: number, base: bigint, fractions: number, nFractions: number, nWidths: number, nTop: number, times: number): number;
}

export interface WasmSumOptions {
  toPe: Float64Array;
  /** The records' sample width [ns]. */
  dt: number;
  /** The longest peak, in samples (the waveforms' room is twice that, as in JavaScript). */
  maxLength: number;
  nTopChannels: number;
  storeDataTop: boolean;
  storeDataStart: boolean;
}

const STATIC_BYTES = 65536;
const align = (x: number) => Math.ceil(x / 16) * 16;

/** Consecutive 16-byte-aligned places in a memory, from `end`. */
class Placement {
  constructor(public end: number) {}
  next(bytes: number): number {
    const at = align(this.end);
    this.end = at + bytes;
    return at;
  }
}

let shared: { memory: WebAssembly.Memory; x: RecordsKernelsExports; loads: number } | null | undefined;

function instance(): typeof shared {
  if (shared === undefined) {
    const memory = ifWasmMemory(() => wasmMemory(STATIC_BYTES, 'the records kernels', false));
    const instantiate = (memory: WebAssembly.Memory) => new WebAssembly.Instance(wasmModule('records-kernels'), { env: { memory, abort: () => { throw new Error('records-kernels WebAssembly aborted'); } } }).exports as unknown as RecordsKernelsExports;
    shared = memory ? { memory, x: instantiate(memory), loads: 0 } : null; // null, no memory at all: JavaScript for the rest of this thread's life
  }
  return shared;
}

/** One chunk's records in this thread's WebAssembly memory. */
export class WasmRecords {
  private readonly load: number;
  private readonly recordsAt: number;
  private readonly n: number;
  /** The records' columns (recordColumns), after the records: start, start in samples, sample width, length. */
  private readonly columns: { start: number; startSample: number; dt: number; length: number };
  private hits: { columns: HitColumns } | undefined;
  /** The hits find_peaks ran on (findPeaks), kept after the records with their intervals for splitHits. */
  private found: { hits: Uint8Array; at: number; starts: number; ends: number } | undefined;
  /** The hits inside peaks kept after the records by splitHits (rows in order), for the bounds and the hitlets. */
  private inside: { at: number; n: number } | undefined;
  /** Where the records, the hits find_peaks ran on and the hits inside peaks (each once given) end: the hitlets' columns start here. */
  private fixedEnd: number;
  /** Where the records, the inside hits and the hits' columns (once given) end: each call's own data starts after. */
  private end: number;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly x: RecordsKernelsExports,
    readonly records: Uint8Array,
    readonly layout: RecordLayout,
    readonly base: TimeBase,
  ) {
    this.load = ++shared!.loads;
    this.n = records.length / layout.itemsize;
    const place = new Placement(STATIC_BYTES);
    this.recordsAt = place.next(records.length);
    const n = this.n;
    this.columns = { start: place.next(8 * n), startSample: place.next(8 * n), dt: place.next(2 * n), length: place.next(4 * n) };
    this.fixedEnd = this.end = place.end;
    growWasmMemory(memory, this.end, 'the records kernels');
    new Uint8Array(memory.buffer, this.recordsAt, records.length).set(records);
    const f = fieldOffsets(layout, ['time', 'dt', 'length']);
    const c = this.columns;
    x.recordColumns(this.recordsAt, n, f.itemsize, f.time, f.dt, f.length, base.value, c.start, c.startSample, c.dt, c.length);
  }

  /**
   * `records` (rows of `layout`, times relative to `base`) copied into this thread's memory; undefined where no
   * WebAssembly memory can be had (use the JavaScript kernels then). Any earlier WasmRecords of the thread goes stale.
   */
  static load(records: Uint8Array, layout: RecordLayout, base: TimeBase): WasmRecords | undefined {
    const s = instance();
    if (!s) return undefined;
    return ifWasmMemory(() => new WasmRecords(s.memory, s.x, records, layout, base));
  }

  /** strax.record_links of these records, computed here; undefined when the memory cannot grow for them. */
  recordLinks(): RecordLinks | undefined {
    this.checkFresh();
    const place = new Placement(this.end);
    const at = { prev: place.next(4 * this.n), next: place.next(4 * this.n), table: place.next(4 * 65536) };
    if (!grows(this.memory, place.end, 'the records kernels')) return undefined; // the caller links them in JavaScript
    const f = fieldOffsets(this.layout, ['time', 'dt', 'channel', 'record_i']);
    this.x.linkRecords(this.recordsAt, this.n, f.itemsize, f.time, f.dt, f.channel, f.record_i, this.layout.field('data').count, this.base.value, at.prev, at.next, at.table);
    return { prev: new Int32Array(this.memory.buffer, at.prev, this.n).slice(), next: new Int32Array(this.memory.buffer, at.next, this.n).slice() };
  }

  /**
   * strax.find_hit_integration_bounds of sorted hit rows, in place, as findHitIntegrationBounds does in JavaScript.
   * False, with the rows unchanged, when a hit names a record not in these records (the JavaScript then reports it)
   * or the memory cannot grow; true when done.
   */
  integrationBounds(hits: Uint8Array, excluded: Intervals, saveOutsideHits: readonly [number, number], insideRecord: boolean): boolean {
    this.checkFresh();
    const place = new Placement(this.end);
    const at = place.next(hits.length);
    if (!this.boundsAt(place, at, hits.length / HIT.itemsize, excluded, saveOutsideHits, insideRecord, () => new Uint8Array(this.memory.buffer, at, hits.length).set(hits))) return false;
    hits.set(new Uint8Array(this.memory.buffer, at, hits.length));
    return true;
  }

  /**
   * integrationBounds of the hits inside peaks that splitHits keeps here, in place (bounds beyond the records allowed,
   * as for hitlets). False, with the rows unchanged, when a hit names a record not in these records or the memory
   * cannot grow.
   */
  insideBounds(excluded: Intervals, saveOutsideHits: readonly [number, number]): boolean {
    this.checkFresh();
    const inside = this.keptInside();
    return this.boundsAt(new Placement(this.end), inside.at, inside.n, excluded, saveOutsideHits, false, () => {});
  }

  /** find_hit_integration_bounds of the `n` hit rows at `at`, with `fill` putting them there once the memory has grown. */
  private boundsAt(place: Placement, at: number, n: number, excluded: Intervals, saveOutsideHits: readonly [number, number], insideRecord: boolean, fill: () => void): boolean {
    const nExcluded = excluded.start.length;
    const where = { exStart: place.next(8 * nExcluded), exEnd: place.next(8 * nExcluded), scratch: place.next(4 * 65536 + 26 * n) };
    if (!grows(this.memory, place.end, 'integration bounds')) return false;
    fill();
    const buffer = this.memory.buffer;
    new Float64Array(buffer, where.exStart, nExcluded).set(excluded.start);
    new Float64Array(buffer, where.exEnd, nExcluded).set(excluded.end.subarray(0, nExcluded));
    const h = HIT_AT;
    const c = this.columns;
    const result = this.x.integrationBounds(
      at, n, HIT.itemsize, h.time, h.length, h.dt, h.record_i, h.channel, h.left_integration, h.right_integration,
      this.n, c.start, c.dt, c.length,
      this.base.value, where.exStart, where.exEnd, nExcluded, saveOutsideHits[0], saveOutsideHits[1], insideRecord ? 1 : 0, where.scratch,
    );
    return result !== this.x.BAD_HIT_RECORD.value;
  }

  /**
   * strax.find_peaks of sorted `hits` here, after the records, as findPeaksInWasm does: the peak rows; the hits and
   * their intervals stay for splitHits. Undefined where the memory cannot grow or to_pe's length is not the peaks'
   * channel count (use findPeaks then). Throws ChannelWithoutGain.
   */
  findPeaks(hits: Uint8Array, layout: RecordLayout, o: FindPeaksOptions): Uint8Array | undefined {
    this.checkFresh();
    if (o.toPe.length !== layout.field('area_per_channel').count) return undefined;
    const found = findPeaksIn(this.memory, this.x, this.fixedEnd, hits, layout, this.base, o);
    if (!found) return undefined;
    this.found = { hits, at: found.at.hits, starts: found.at.starts, ends: found.at.ends };
    this.hits = undefined; // the hitlets' columns lay where the found hits are now
    this.fixedEnd = this.end = align(found.at.end);
    return found.rows;
  }

  /**
   * Sorted hit rows split by strax.fully_contained_in against sorted, disjoint containers (the peaks), as
   * partitionRows(fullyContainedIn(…)) splits them: the rows inside a peak are kept here, after the records, for
   * insideBounds and hitlets (insideRows copies them out); the rows outside are returned when `wantOutside`.
   * Undefined when the memory cannot grow (nothing kept then).
   */
  splitHits(hits: Uint8Array, things: () => Intervals, containers: Intervals, wantOutside: boolean): { outside: Uint8Array | undefined } | undefined {
    this.checkFresh();
    const size = HIT.itemsize;
    const n = hits.length / size;
    const found = this.found?.hits === hits ? this.found : undefined; // the hits and intervals find_peaks left here
    const split = partitionInMemory(this.memory, this.x, this.fixedEnd, found ?? { rows: hits, things: things() }, n, size, containers);
    if (!split) return undefined;
    const { nOutside, at } = split;
    this.inside = { at: at.inside, n: n - nOutside };
    this.hits = undefined; // columns given before lay where the inside hits are now
    this.fixedEnd = this.end = align(at.inside + (n - nOutside) * size);
    return { outside: wantOutside ? new Uint8Array(this.memory.buffer, at.outside, nOutside * size).slice() : undefined };
  }

  /** The hit rows splitHits kept (with their bounds once insideBounds has set them), copied out. */
  insideRows(): Uint8Array {
    this.checkFresh();
    const inside = this.keptInside();
    return new Uint8Array(this.memory.buffer, inside.at, inside.n * HIT.itemsize).slice();
  }

  private keptInside(): { at: number; n: number } {
    if (!this.inside) throw new InternalError('no hits were split into these records\' memory (splitHits)');
    return this.inside;
  }

  /**
   * The hitlets of hit rows inside peaks (their integration windows set), as toHitlets makes them: their columns in
   * (time, channel) order, clipped to `clip`, and that order. The columns stay in memory for sum(). Undefined (use the
   * JavaScript then) when the hits are far from sorted by their hitlet times, or the memory cannot grow.
   */
  hitlets(hits: Uint8Array | 'inside', clip: { start: number; end: number }): { columns: HitColumns; order: Int32Array } | undefined {
    this.checkFresh();
    const kept = hits === 'inside' ? this.keptInside() : undefined;
    const n = kept ? kept.n : (hits as Uint8Array).length / HIT.itemsize;
    const place = new Placement(this.fixedEnd);
    const at = {
      time: place.next(8 * n), length: place.next(4 * n), record: place.next(4 * n), left: place.next(2 * n), right: place.next(2 * n), channel: place.next(2 * n),
      end: place.next(8 * n), order: place.next(4 * n), hits: kept ? kept.at : place.next(n * HIT.itemsize), keys: place.next(16 * n),
    };
    if (!grows(this.memory, place.end, 'hitlets')) return undefined;
    const buffer = this.memory.buffer;
    if (!kept) new Uint8Array(buffer, at.hits, n * HIT.itemsize).set(hits as Uint8Array);
    const h = HIT_AT;
    const maxLength = this.x.hitletColumns(
      at.hits, n, HIT.itemsize, h.time, h.left, h.left_integration, h.right_integration, h.dt, h.channel, h.record_i,
      this.base.value, clip.start, clip.end, at.time, at.length, at.record, at.left, at.right, at.channel, at.end, at.order, at.keys,
    );
    this.hits = undefined; // the columns' places were overwritten
    if (maxLength < 0) return undefined;
    const columns: HitColumns = {
      time: new Float64Array(buffer, at.time, n).slice(), end: new Float64Array(buffer, at.end, n).slice(), length: new Int32Array(buffer, at.length, n).slice(),
      record: new Int32Array(buffer, at.record, n).slice(), leftIntegration: new Int16Array(buffer, at.left, n).slice(), rightIntegration: new Int16Array(buffer, at.right, n).slice(),
      channel: new Int16Array(buffer, at.channel, n).slice(), maxLength,
    };
    // sum() finds these columns where it would copy them.
    this.hits = { columns };
    this.end = at.end;
    return { columns, order: new Int32Array(buffer, at.order, n).slice() };
  }

  /**
   * sum_waveform of `peaks` (rows of `peakLayout`, sorted by time) from the hits' columns (sorted by time) and the
   * records' links, in place, as sumWaveform does in JavaScript. False, with the rows unchanged, when a hit names a
   * record not in these records (the JavaScript summing then reports it) or the memory cannot grow; true when summed.
   */
  sum(peaks: Uint8Array, peakLayout: RecordLayout, hits: HitColumns, links: RecordLinks, o: WasmSumOptions): boolean {
    this.checkFresh();
    if (links.prev.length !== this.n || links.next.length !== this.n) return false;
    return ifWasmMemory(() => this.sumInMemory(peaks, peakLayout, hits, links, o)) ?? false;
  }

  /** sum()'s work; a WasmMemoryError from a growth here makes sum() answer false. */
  private sumInMemory(peaks: Uint8Array, peakLayout: RecordLayout, hits: HitColumns, links: RecordLinks, o: WasmSumOptions): boolean {
    const columns = this.columnsInMemory(hits);
    const nChannels = peakLayout.field('area_per_channel').count;
    const capacity = 2 * o.maxLength;
    const place = new Placement(this.end);
    const at = {
      prev: place.next(4 * this.n), next: place.next(4 * this.n), peaks: place.next(peaks.length), toPe: place.next(8 * o.toPe.length),
      sum: place.next(4 * capacity), top: place.next(4 * capacity), apc: place.next(4 * nChannels), saturated: place.next(nChannels), hitSamples: place.next(4 * hits.maxLength),
      hitStarts: place.next(8 * hits.time.length),
    };
    growWasmMemory(this.memory, place.end, 'sum_waveform');
    const buffer = this.memory.buffer;
    new Int32Array(buffer, at.prev, this.n).set(links.prev.subarray(0, this.n));
    new Int32Array(buffer, at.next, this.n).set(links.next.subarray(0, this.n));
    new Uint8Array(buffer, at.peaks, peaks.length).set(peaks);
    new Float64Array(buffer, at.toPe, o.toPe.length).set(o.toPe);
    const x = this.x;
    const p = fieldOffsets(peakLayout, ['time', 'length', 'dt', 'area', 'area_per_channel', 'data_top', 'data_start', 'data', 'saturated_channel', 'n_saturated_channels']);
    x.configurePeaks(p.itemsize, p.time, p.length, p.dt, p.area, p.area_per_channel, p.data_top, p.data_start, p.data, p.saturated_channel, p.n_saturated_channels, peakLayout.field('data').count, nChannels);
    const r = fieldOffsets(this.layout, ['length', 'baseline', 'amplitude_bit_shift', 'data']);
    x.configureRecords(r.itemsize, r.length, r.baseline, r.amplitude_bit_shift, r.data, this.layout.field('data').count);
    x.setHits(columns.time, columns.length, columns.record, columns.left, columns.right, columns.channel, hits.time.length);
    x.setRecords(this.recordsAt, this.n, at.prev, at.next);
    x.setScratch(at.sum, at.top, capacity, at.apc, at.saturated, at.hitSamples, at.toPe, o.toPe.length);
    x.setStartColumns(at.hitStarts, this.columns.startSample);
    const result = x.sumWaveforms(at.peaks, peaks.length / peakLayout.itemsize, o.dt, this.base.value, o.nTopChannels, o.storeDataTop ? 1 : 0, o.storeDataStart ? 1 : 0);
    if (result === x.BAD_RECORD.value) return false;
    peaks.set(new Uint8Array(buffer, at.peaks, peaks.length));
    return true;
  }

  /**
   * strax.compute_properties of summed `peaks` (rows of `peakLayout`), in place, as computeProperties does in
   * JavaScript (`fractions`: compute_widths' area fractions). False, with the rows unchanged, when a peak's length does
   * not fit its data field (the JavaScript then reports it) or the memory cannot grow; true when done.
   */
  properties(peaks: Uint8Array, peakLayout: RecordLayout, fractions: Float64Array, nTopChannels: number): boolean {
    this.checkFresh();
    const n = peaks.length / peakLayout.itemsize;
    const place = new Placement(this.end);
    const at = { peaks: place.next(peaks.length), fractions: place.next(8 * fractions.length), times: place.next(4 * fractions.length) };
    if (!grows(this.memory, place.end, 'compute_properties')) return false;
    const buffer = this.memory.buffer;
    new Uint8Array(buffer, at.peaks, peaks.length).set(peaks);
    new Float64Array(buffer, at.fractions, fractions.length).set(fractions);
    const p = fieldOffsets(peakLayout, ['time', 'length', 'dt', 'area', 'area_fraction_top', 'area_per_channel', 'data', 'center_time', 'median_time', 'width', 'area_decile_from_midpoint']);
    const x = this.x;
    x.configureProperties(p.itemsize, p.time, p.length, p.dt, p.area, p.area_fraction_top, p.area_per_channel, p.data, p.center_time, p.median_time, p.width, p.area_decile_from_midpoint, peakLayout.field('data').count);
    const nWidths = peakLayout.field('width').count;
    if (x.computeProperties(at.peaks, n, this.base.value, at.fractions, fractions.length, nWidths, nTopChannels, at.times) !== n) return false;
    peaks.set(new Uint8Array(buffer, at.peaks, peaks.length));
    return true;
  }

  /**
   * strax.touching_windows (window 0) as counts, as touchingCounts does in JavaScript: for each container, the number
   * of things overlapping it. Undefined (use the JavaScript then) when the containers' ends are out of order or the
   * memory cannot grow.
   */
  touchingCounts(things: Intervals, containers: Intervals): Int32Array | undefined {
    this.checkFresh();
    const [n, m] = [things.start.length, containers.start.length];
    const place = new Placement(this.end);
    const at = { start: place.next(8 * n), end: place.next(8 * n), cStart: place.next(8 * m), cEnd: place.next(8 * m), out: place.next(4 * m) };
    if (!grows(this.memory, place.end, 'touching windows')) return undefined;
    const buffer = this.memory.buffer;
    new Float64Array(buffer, at.start, n).set(things.start);
    new Float64Array(buffer, at.end, n).set(things.end.subarray(0, n));
    new Float64Array(buffer, at.cStart, m).set(containers.start);
    new Float64Array(buffer, at.cEnd, m).set(containers.end.subarray(0, m));
    if (this.x.touchingCounts(at.start, at.end, n, at.cStart, at.cEnd, m, at.out) === 0) return undefined;
    return new Int32Array(buffer, at.out, m).slice();
  }

  /**
   * The hits' columns in memory, after the records: copied when first given (a recipe sums several times from the same
   * hits: the natural-breaks pieces), again when other columns are given.
   */
  private columnsInMemory(hits: HitColumns): { time: number; length: number; record: number; left: number; right: number; channel: number } {
    const n = hits.time.length;
    const place = new Placement(this.fixedEnd);
    const at = { time: place.next(8 * n), length: place.next(4 * n), record: place.next(4 * n), left: place.next(2 * n), right: place.next(2 * n), channel: place.next(2 * n) };
    if (this.hits?.columns !== hits) {
      growWasmMemory(this.memory, place.end, 'sum_waveform');
      const buffer = this.memory.buffer;
      new Float64Array(buffer, at.time, n).set(hits.time);
      new Int32Array(buffer, at.length, n).set(hits.length);
      new Int32Array(buffer, at.record, n).set(hits.record);
      new Int16Array(buffer, at.left, n).set(hits.leftIntegration);
      new Int16Array(buffer, at.right, n).set(hits.rightIntegration);
      new Int16Array(buffer, at.channel, n).set(hits.channel);
      this.hits = { columns: hits };
      this.end = place.end;
    }
    return at;
  }

  /** Whether these are still the records in the thread's memory (no other records loaded, no find_peaks since). */
  get fresh(): boolean {
    return shared?.loads === this.load;
  }

  private checkFresh(): void {
    if (shared?.loads !== this.load) throw new InternalError('WasmRecords used after other records were loaded in its thread');
  }
}

/** findPeaksInWasm's answer for a hit in a channel without to_pe (the caller reports it as findPeaks does). */
export class ChannelWithoutGain extends Error {
  constructor(readonly channel: number) {
    super(`channel ${channel} has no to_pe`);
  }
}

/**
 * partitionContained of `n` rows with their intervals against the containers in `memory` from `from`: the rows inside
 * go first, where they may stay; then the copies (of rows not in memory yet) and the rows outside. Undefined when the
 * memory cannot grow.
 */
function partitionInMemory(
  memory: WebAssembly.Memory, x: RecordsKernelsExports, from: number, source: { rows: Uint8Array; things: Intervals } | { at: number; starts: number; ends: number },
  n: number, itemsize: number, containers: Intervals,
): { nOutside: number; at: { inside: number; outside: number } } | undefined {
  const m = containers.start.length;
  const copy = 'rows' in source;
  const place = new Placement(from);
  const at = {
    inside: place.next(n * itemsize), rows: copy ? place.next(n * itemsize) : 0, start: copy ? place.next(8 * n) : 0, end: copy ? place.next(8 * n) : 0,
    cStart: place.next(8 * m), cEnd: place.next(8 * m), outside: place.next(n * itemsize),
  };
  if (!grows(memory, place.end, 'the hits in peaks')) return undefined;
  const buffer = memory.buffer;
  if ('rows' in source) {
    new Uint8Array(buffer, at.rows, n * itemsize).set(source.rows);
    new Float64Array(buffer, at.start, n).set(source.things.start.subarray(0, n));
    new Float64Array(buffer, at.end, n).set(source.things.end.subarray(0, n));
  } else [at.rows, at.start, at.end] = [source.at, source.starts, source.ends];
  new Float64Array(buffer, at.cStart, m).set(containers.start);
  new Float64Array(buffer, at.cEnd, m).set(containers.end.subarray(0, m));
  return { nOutside: x.partitionContained(at.rows, n, itemsize, at.start, at.end, at.cStart, at.cEnd, m, at.outside, at.inside), at };
}

/**
 * Sorted rows split by strax.fully_contained_in against sorted, disjoint containers, in this thread's WebAssembly
 * memory, as partitionRows(fullyContainedIn(…)) does in JavaScript: the rows in no container and the rows inside one,
 * each in order. Undefined where no WebAssembly memory can be had. Any WasmRecords of the thread goes stale.
 */
export function partitionByContainment(rows: Uint8Array, itemsize: number, things: Intervals, containers: Intervals): { outside: Uint8Array; inside: Uint8Array } | undefined {
  if (itemsize % 16 !== 0) return undefined; // the kernel copies rows as whole 16-byte lanes
  const s = instance();
  if (!s) return undefined;
  s.loads++;
  const split = partitionInMemory(s.memory, s.x, STATIC_BYTES, { rows, things }, rows.length / itemsize, itemsize, containers);
  if (!split) return undefined;
  const { nOutside, at } = split;
  const [n, buffer] = [rows.length / itemsize, s.memory.buffer];
  return {
    outside: new Uint8Array(buffer, at.outside, nOutside * itemsize).slice(),
    inside: new Uint8Array(buffer, at.inside, (n - nOutside) * itemsize).slice(),
  };
}

/**
 * strax.find_peaks in this thread's WebAssembly memory, as findPeaks does it in JavaScript: the peak rows, and each
 * hit's [time, endtime) into `hitIntervals` when given. Undefined where no WebAssembly memory can be had (or to_pe's
 * length is not the peaks' channel count): use findPeaks' JavaScript then. Any WasmRecords of the thread goes stale.
 */
export function findPeaksInWasm(hits: Uint8Array, layout: RecordLayout, base: TimeBase, o: FindPeaksOptions, hitIntervals?: Intervals): Uint8Array | undefined {
  if (o.toPe.length !== layout.field('area_per_channel').count) return undefined;
  const s = instance();
  if (!s) return undefined;
  s.loads++; // this call's data may lie where a WasmRecords' records are
  const found = findPeaksIn(s.memory, s.x, STATIC_BYTES, hits, layout, base, o);
  if (!found) return undefined;
  const n = hits.length / HIT.itemsize;
  if (hitIntervals) {
    hitIntervals.start.set(new Float64Array(s.memory.buffer, found.at.starts, n));
    hitIntervals.end.set(new Float64Array(s.memory.buffer, found.at.ends, n));
  }
  return found.rows;
}

/**
 * find_peaks of `hits` in `memory` from `from`: the hits, then their intervals, then the scratch and the rows. The peak
 * rows, and where the hits and intervals lie; undefined when the memory cannot grow. Throws ChannelWithoutGain.
 */
function findPeaksIn(memory: WebAssembly.Memory, x: RecordsKernelsExports, from: number, hits: Uint8Array, layout: RecordLayout, base: TimeBase, o: FindPeaksOptions): { rows: Uint8Array; at: { hits: number; starts: number; ends: number; end: number } } | undefined {
  const nChannels = layout.field('area_per_channel').count;
  const n = hits.length / HIT.itemsize;
  let capacity = Math.max(16, Math.ceil(n / 64));
  const place = (rows: number) => {
    const p = new Placement(from);
    const at = { hits: p.next(hits.length), starts: p.next(8 * n), ends: p.next(8 * n), end: 0, toPe: p.next(8 * nChannels), apc: p.next(4 * nChannels), list: p.next(4 * nChannels), member: p.next(nChannels), out: p.next(rows * layout.itemsize) };
    at.end = at.ends + 8 * n;
    growWasmMemory(memory, p.end, 'find_peaks');
    return at;
  };
  let at = ifWasmMemory(() => place(capacity));
  if (!at) return undefined;
  new Uint8Array(memory.buffer, at.hits, hits.length).set(hits);
  new Float64Array(memory.buffer, at.toPe, nChannels).set(o.toPe);
  new Uint8Array(memory.buffer, at.apc, at.member + nChannels - at.apc).fill(0); // apc, list and member (aligned apart)
  const h = HIT_AT;
  const p = fieldOffsets(layout, ['time', 'length', 'dt', 'channel', 'area', 'area_per_channel', 'n_hits', 'max_gap']);
  x.configureFindPeaks(HIT.itemsize, h.time, h.length, h.dt, h.channel, h.area, p.itemsize, p.time, p.length, p.dt, p.channel, p.area, p.area_per_channel, p.n_hits, p.max_gap, DIGITAL_SUM_WAVEFORM_CHANNEL);
  const parts: Uint8Array[] = [];
  for (let first = 0; ; ) {
    const rows = x.findPeaksFrom(at.hits, n, first, base.value, at.toPe, nChannels, o.gapThreshold, o.leftExtension, o.rightExtension, o.minArea, o.minChannels, o.maxDuration, at.starts, at.ends, at.out, capacity, at.apc, at.list, at.member);
    if (rows === x.BAD_CHANNEL.value) throw new ChannelWithoutGain(x.refusedChannel());
    parts.push(new Uint8Array(memory.buffer, at.out, rows * layout.itemsize).slice());
    first = x.resumeHit();
    if (first >= n) break;
    capacity *= 2;
    at = ifWasmMemory(() => place(capacity)); // the same places for everything but the rows' room, which grows at the end
    if (!at) return undefined;
  }
  return { rows: joinParts(parts), at };
}

