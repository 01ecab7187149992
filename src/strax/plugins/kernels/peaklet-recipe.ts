// straxen's Peaklets.compute up to the split: peaklets, lone hits (re-integrated) and hitlets (hits inside peaklets
// with their integration windows, which may leave the record).
import type { RecordLayout } from '../../dtype/layout.js';
import { fieldOffsets, viewOf, type TimeBase } from './fields.js';
import { HIT, HIT_AT } from './find-hits.js';
import { clipToChunk, findPeaks, findPeaksBeside, type FindPeaksOptions } from './find-peaks.js';
import { hitWords, nearlySortedOrder, permuteHitRows } from './hit-order.js';
import { findHitIntegrationBounds, integrateLoneHits, type Intervals } from './integration-bounds.js';
import { splitPeaks, type NaturalBreaksOptions } from './natural-breaks.js';
import { computeProperties } from './peak-properties.js';
import { recordLinks, type RecordLinks } from './record-links.js';
import { WasmRecords, partitionByContainment } from './records-wasm.js';
import { sumWaveform } from './sum-waveform.js';
import { emptyHitColumns, setHitColumn, type HitColumns } from './hit-columns.js';

export type SplitOptions = Omit<NaturalBreaksOptions, 'links' | 'storeDataTop' | 'storeDataStart' | 'recordDt' | 'toPe'>;

export interface PeakletRecipeOptions {
  find: FindPeaksOptions;
  split: SplitOptions;
  /** Integration window of lone hits and hitlets [ns] (straxen: the peak extensions). */
  saveOutsideHits: readonly [number, number];
  /** The caller does not keep the lone hits: none are returned (HitletOptions.skipLoneHits). */
  skipLoneHits?: boolean;
}

export interface Peaklets {
  peaklets: Uint8Array;
  /** Re-integrated with the peaks excluded; empty when the caller said skipLoneHits. */
  loneHits: Uint8Array;
  /** Built on first access: the plugins need only the hitlets' columns. */
  readonly hitlets: Uint8Array;
}

/** `hitlets` built from `rows` on first access, then kept. */
function withLazyHitlets<T extends object>(fields: T, rows: () => Uint8Array): T & { readonly hitlets: Uint8Array } {
  let built: Uint8Array | undefined;
  return Object.defineProperty(fields, 'hitlets', { get: () => (built ??= rows()), enumerable: true }) as T & { readonly hitlets: Uint8Array };
}

/** [time, endtime) of each row, relative to the base. */
export function intervalsOf(rows: Uint8Array, layout: RecordLayout, base: TimeBase): Intervals {
  const at = fieldOffsets(layout, ['time', 'length', 'dt']);
  const dtIs32 = layout.field('dt').elementSize === 4;
  const n = rows.length / layout.itemsize;
  const v = viewOf(rows);
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  for (let i = 0, o = 0; i < n; i++, o += layout.itemsize) {
    start[i] = base.rel(v, o + at.time);
    end[i] = start[i]! + v.getInt32(o + at.length, true) * (dtIs32 ? v.getInt32(o + at.dt, true) : v.getInt16(o + at.dt, true));
  }
  return { start, end };
}

/** strax.fully_contained_in: the index of the (sorted, disjoint) container holding each thing, or −1. */
export function fullyContainedIn(things: Intervals, containers: Intervals): Int32Array {
  const out = new Int32Array(things.start.length).fill(-1);
  let b = 0;
  for (let a = 0; a < things.start.length; a++) {
    while (b < containers.start.length && containers.end[b]! <= things.start[a]!) b++;
    if (b === containers.start.length) break;
    if (containers.start[b]! <= things.start[a]! && things.end[a]! <= containers.end[b]!) out[a] = b;
  }
  return out;
}

/** straxen's create_outside_peaks_region: the gaps between peaks, from the chunk start to its end. */
export function outsidePeaks(peaks: Intervals, start: number, end: number): Intervals {
  const n = peaks.start.length;
  if (n === 0) return { start: new Float64Array(0), end: new Float64Array(0) };
  return { start: Float64Array.from([start, ...peaks.end]), end: Float64Array.from([...peaks.start, end]) };
}

/** strax.touching_windows: for each container, the range of things overlapping it (window 0); returns its length. */
export function touchingCounts(things: Intervals, containers: Intervals): Int32Array {
  const n = things.start.length;
  const m = containers.start.length;
  const left = new Int32Array(m);
  let l = 0;
  for (let i = 0; i < m; i++) {
    while (l < n && things.end[l]! <= containers.start[i]!) l++;
    left[i] = l;
  }
  const byEnd = Array.from({ length: m }, (_, i) => i).sort((a, b) => containers.end[a]! - containers.end[b]! || a - b);
  const out = new Int32Array(m);
  let r = 0;
  for (const i of byEnd) {
    while (r < n && things.start[r]! < containers.end[i]!) r++;
    out[i] = r - left[i]!;
  }
  return out;
}

/** The rows whose `mark` is (not) −1, in order: hits outside / inside every peak (copied in runs: a peak's hits are adjacent). */
function partitionRows(rows: Uint8Array, itemsize: number, mark: Int32Array): { outside: Uint8Array; inside: Uint8Array } {
  let nOut = 0;
  for (let i = 0; i < mark.length; i++) if (mark[i] === -1) nOut++;
  const outside = new Uint8Array(nOut * itemsize);
  const inside = new Uint8Array((mark.length - nOut) * itemsize);
  let [a, b] = [0, 0];
  for (let i = 0; i < mark.length; ) {
    const isOutside = mark[i] === -1;
    let j = i + 1;
    while (j < mark.length && (mark[j] === -1) === isOutside) j++;
    const run = rows.subarray(i * itemsize, j * itemsize);
    if (isOutside) outside.set(run, (a += j - i) * itemsize - run.length);
    else inside.set(run, (b += j - i) * itemsize - run.length);
    i = j;
  }
  return { outside, inside };
}

/** The rows (sorted by start) in no container and those fully inside one (strax.fully_contained_in), each in order. */
function splitByContainment(rows: Uint8Array, itemsize: number, things: Intervals, containers: Intervals): { outside: Uint8Array; inside: Uint8Array } {
  return partitionByContainment(rows, itemsize, things, containers) ?? partitionRows(rows, itemsize, fullyContainedIn(things, containers));
}

/** The rows at the given indices, in that order. */
function pickRows(rows: Uint8Array, itemsize: number, indices: readonly number[]): Uint8Array {
  const out = new Uint8Array(indices.length * itemsize);
  indices.forEach((i, k) => out.set(rows.subarray(i * itemsize, (i + 1) * itemsize), k * itemsize));
  return out;
}

/**
 * Hitlets from the hits inside peaks (their windows set): moved to the window (time − (left − left_integration)·dt,
 * length = right − left integration), sorted by (time, channel), clipped to the chunk. Summing needs only their
 * columns, built straight in sorted order; the rows themselves are built only when asked for (`rows()`).
 */
export function toHitlets(hits: Uint8Array, base: TimeBase, range: { start: number; end: number }, wasm?: WasmRecords): { rows: () => Uint8Array; columns: HitColumns } {
  const n = hits.length / HIT.itemsize;
  const inWasm = wasm?.hitlets(hits, range);
  if (inWasm) return { columns: inWasm.columns, rows: () => hitletRows(hits, base, inWasm.order, inWasm.columns) };
  const v = viewOf(hits);
  const time = new Float64Array(n);
  const length = new Int32Array(n);
  const keys = new Float64Array(n);
  for (let i = 0, h = 0; i < n; i++, h += HIT.itemsize) {
    const li = v.getInt16(h + HIT_AT.left_integration, true);
    time[i] = base.rel(v, h + HIT_AT.time) - (v.getInt16(h + HIT_AT.left, true) - li) * v.getInt16(h + HIT_AT.dt, true);
    length[i] = v.getInt16(h + HIT_AT.right_integration, true) - li;
    keys[i] = time[i]! * 4096 + v.getInt16(h + HIT_AT.channel, true);
  }
  const order = nearlySortedOrder(keys, n);
  const columns = hitletColumns(hits, order, time, length, range);
  return { rows: () => hitletRows(hits, base, order, columns), columns };
}

/** The hitlet rows: the hit rows in hitlet order with the hitlets' times and lengths. */
function hitletRows(hits: Uint8Array, base: TimeBase, order: Int32Array, columns: HitColumns): Uint8Array {
  const n = order.length;
  const out = permuteHitRows(hitWords(hits), order, n);
  const ov = viewOf(out);
  for (let k = 0, h = 0; k < n; k++, h += HIT.itemsize) {
    base.write(ov, h + HIT_AT.time, columns.time[k]!);
    ov.setInt32(h + HIT_AT.length, columns.length[k]!, true);
  }
  return out;
}

/** The columns of the hitlets in `order`, times and lengths given (unsorted) and clipped to the chunk as straxen clips hitlets. */
function hitletColumns(hits: Uint8Array, order: Int32Array, time: Float64Array, length: Int32Array, clip: { start: number; end: number }): HitColumns {
  const n = order.length;
  const hv = viewOf(hits);
  const c = emptyHitColumns(n);
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const h = i * HIT.itemsize;
    const dt = hv.getInt16(h + HIT_AT.dt, true);
    let t = time[i]!;
    let len = length[i]!;
    if (t < clip.start) t = clip.start;
    if (t + len * dt > clip.end) len = Math.floor((clip.end - t) / dt);
    setHitColumn(c, k, hv, h, t, len);
  }
  return c;
}

export interface HitletOptions {
  toPe: Float64Array;
  nTopChannels: number;
  /** Integration window of lone hits and hitlets [ns] (straxen: the peak extensions). */
  saveOutsideHits: readonly [number, number];
  /** The caller does not keep the lone hits: `loneHits` is empty, and they are neither copied out nor re-integrated. */
  skipLoneHits?: boolean;
  /** The hits' [time, endtime) when already known (find_peaks records them). */
  hitIntervals?: Intervals;
  /** The records already in WebAssembly memory, with the hits find_peaks ran on beside them (findPeaksBeside). */
  wasm?: WasmRecords;
}

/**
 * straxen Peaklets' steps after find_peaks: hits not fully inside a peak become lone hits (re-integrated, the peaks
 * excluded); the others become hitlets (integration windows that stop at the space outside the peaks and may leave
 * the record), from which the waveforms of the peaks at `sum` (row indices; default all) are summed.
 */
export function sumPeaksFromHitlets(peaks: Uint8Array, layout: RecordLayout, hits: Uint8Array, records: Uint8Array, recordLayout: RecordLayout, base: TimeBase, range: { start: number; end: number }, o: HitletOptions, sum?: number[]): Peaklets & { links: RecordLinks; hitColumns: HitColumns; wasm: WasmRecords | undefined } {
  const peakIntervals = intervalsOf(peaks, layout, base);
  let known = o.hitIntervals;
  const hitIntervals = () => (known ??= intervalsOf(hits, HIT, base));
  // The records go into WebAssembly memory once, for the hits inside peaks (kept there from the split through their
  // bounds to the hitlets), the links and every summing of this chunk (natural breaks too).
  const given = o.wasm?.fresh && o.wasm.records === records && o.wasm.layout === recordLayout && o.wasm.base.value === base.value;
  const wasm = given ? o.wasm : WasmRecords.load(records, recordLayout, base);
  const excluded = outsidePeaks(peakIntervals, range.start, range.end);
  const bounds = { saveOutsideHits: o.saveOutsideHits, excluded, allowBeyondRecords: true };
  /** The split and the bounds in JavaScript (also where a hit names a record not in the chunk: it reports that). */
  const splitInJs = () => {
    const split = partitionRows(hits, HIT.itemsize, fullyContainedIn(hitIntervals(), peakIntervals));
    findHitIntegrationBounds(split.inside, records, recordLayout, base, bounds);
    return split;
  };
  const kept = wasm?.splitHits(hits, hitIntervals, peakIntervals, !o.skipLoneHits);
  const inWasm = kept !== undefined && wasm!.insideBounds(excluded, o.saveOutsideHits);
  const split = inWasm ? undefined : splitInJs();
  const loneHits = o.skipLoneHits ? new Uint8Array(0) : (split?.outside ?? kept!.outside!);
  if (!o.skipLoneHits) integrateLoneHits(loneHits, records, recordLayout, base, peakIntervals, o.saveOutsideHits);
  // The rows of the hits inside peaks, for hitlet rows asked for later (recomputed once other records are loaded).
  const inPeaks = () => split?.inside ?? (wasm!.fresh ? wasm!.insideRows() : splitInJs().inside);
  const resident = inWasm ? wasm!.hitlets('inside', range) : undefined;
  const { rows, columns } = resident
    ? { columns: resident.columns, rows: () => hitletRows(inPeaks(), base, resident.order, resident.columns) }
    : toHitlets(inPeaks(), base, range, inWasm ? undefined : wasm);
  const links = wasm?.recordLinks() ?? recordLinks(records, recordLayout, base);
  const wave = { toPe: o.toPe, links, nTopChannels: o.nTopChannels, storeDataTop: true, storeDataStart: true, hitColumns: columns, wasm };
  const selected = sum ? pickRows(peaks, layout.itemsize, sum) : peaks;
  sumWaveform(selected, layout, columns, records, recordLayout, base, wave);
  computeProperties(selected, layout, base, o.nTopChannels, wasm);
  if (sum) sum.forEach((i, k) => peaks.set(selected.subarray(k * layout.itemsize, (k + 1) * layout.itemsize), i * layout.itemsize));
  return withLazyHitlets({ peaklets: peaks, loneHits, links, hitColumns: columns, wasm }, rows);
}

/**
 * Set n_hits of each peak (or of the rows `o.only`) to the number of hitlets overlapping it (strax.touching_windows);
 * in WebAssembly beside `o.wasm`'s records when given.
 */
export function countHitlets(peaks: Uint8Array, layout: RecordLayout, hitlets: HitColumns, base: TimeBase, o: { only?: number[]; wasm?: WasmRecords } = {}): void {
  const { only, wasm } = o;
  const things = { start: hitlets.time, end: hitlets.end };
  const containers = intervalsOf(peaks, layout, base);
  const nHits = (wasm?.fresh ? wasm.touchingCounts(things, containers) : undefined) ?? touchingCounts(things, containers);
  const at = layout.field('n_hits').offset;
  const pv = viewOf(peaks);
  for (const i of only ?? nHits.keys()) pv.setInt32(i * layout.itemsize + at, nHits[i]!, true);
}

/** straxen Peaklets.compute on one chunk: sorted hits (from find_hits) and records in, peaklets/lone hits/hitlets out. */
export function buildPeaklets(records: Uint8Array, recordLayout: RecordLayout, hits: Uint8Array, layout: RecordLayout, base: TimeBase, range: { start: number; end: number }, o: PeakletRecipeOptions): Peaklets {
  const n = hits.length / HIT.itemsize;
  // The records go into WebAssembly memory first: find_peaks leaves the hits and their intervals beside them.
  const wasm = WasmRecords.load(records, recordLayout, base);
  const beside = wasm && findPeaksBeside(wasm, hits, layout, o.find);
  const hitIntervals = beside ? undefined : { start: new Float64Array(n), end: new Float64Array(n) };
  const found = beside ?? findPeaks(hits, layout, base, o.find, hitIntervals);
  clipToChunk(found, fieldOffsets(layout, ['time', 'length', 'dt']), true, base, range.start, range.end);
  const recipe = sumPeaksFromHitlets(found, layout, hits, records, recordLayout, base, range, { toPe: o.find.toPe, nTopChannels: o.split.nTopChannels ?? 0, saveOutsideHits: o.saveOutsideHits, skipLoneHits: o.skipLoneHits, hitIntervals, wasm });
  const recordDt = records.length > 0 ? viewOf(records).getInt16(recordLayout.field('dt').offset, true) : 10;
  const { links, hitColumns: columns, wasm: loaded } = recipe;
  const peaklets = splitPeaks(found, layout, columns, records, recordLayout, base, { ...o.split, toPe: o.find.toPe, links, storeDataTop: true, storeDataStart: true, recordDt, hitColumns: columns, wasm: loaded });
  countHitlets(peaklets, layout, columns, base, { wasm: loaded });
  return withLazyHitlets({ peaklets, loneHits: recipe.loneHits }, () => recipe.hitlets);
}

export interface LoneHitOptions {
  find: FindPeaksOptions;
  /** Integration window of the lone hits [ns] (straxen: the peak extensions). */
  saveOutsideHits: readonly [number, number];
}

/**
 * straxen Peaklets' lone hits alone: the hits not fully inside a peak found by find_peaks (before the natural-breaks
 * split, which only cuts peaks into adjacent pieces), re-integrated with the peaks excluded. `hits` is not modified.
 */
export function findLoneHits(records: Uint8Array, recordLayout: RecordLayout, hits: Uint8Array, peakLayout: RecordLayout, base: TimeBase, range: { start: number; end: number }, o: LoneHitOptions): Uint8Array {
  const n = hits.length / HIT.itemsize;
  const hitIntervals = { start: new Float64Array(n), end: new Float64Array(n) };
  const found = findPeaks(hits, peakLayout, base, o.find, hitIntervals);
  clipToChunk(found, fieldOffsets(peakLayout, ['time', 'length', 'dt']), true, base, range.start, range.end);
  const peakIntervals = intervalsOf(found, peakLayout, base);
  const { outside: loneHits } = splitByContainment(hits, HIT.itemsize, hitIntervals, peakIntervals);
  integrateLoneHits(loneHits, records, recordLayout, base, peakIntervals, o.saveOutsideHits);
  return loneHits;
}
