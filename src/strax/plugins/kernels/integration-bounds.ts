// strax.find_hit_integration_bounds and integrate_lone_hits: the window each hit is integrated over, in its record's samples.
import type { RecordLayout } from '../../dtype/layout.js';
import { fieldOffsets, viewOf, type TimeBase } from './fields.js';
import { HIT, HIT_AT, fractionalPart } from './find-hits.js';
import type { WasmRecords } from './records-wasm.js';

/** Time intervals [start, end) as times relative to a base, sorted by start. */
export interface Intervals {
  start: Float64Array;
  end: Float64Array;
}

export const NO_INTERVALS: Intervals = { start: new Float64Array(0), end: new Float64Array(0) };

export interface IntegrationBoundsOptions {
  /** Extension [ns] to the left and right of the hit (strax's save_outside_hits, in ns, not samples). */
  saveOutsideHits: readonly [number, number];
  /** Intervals the window may not enter (peaks for lone hits, the space outside peaks for hitlets). */
  excluded?: Intervals;
  /** Let the window leave the hit's record (straxen hitlets); otherwise it is clamped to the record. */
  allowBeyondRecords?: boolean;
  /** The records in WebAssembly memory (the peaklet recipe loads them once per chunk): the bounds are found there. */
  wasm?: WasmRecords;
}

/**
 * Set `left_integration` / `right_integration` of sorted hits in place: the window [time − left, endtime + right) ns,
 * clamped to the excluded intervals around the hit (and to the record unless allowed beyond), the earlier of two
 * consecutive hits of one channel ending where the later starts and the later starting after the earlier's end;
 * stored as `floor((t − record.time) / dt)`.
 */
export function findHitIntegrationBounds(hits: Uint8Array, records: Uint8Array, recordLayout: RecordLayout, base: TimeBase, o: IntegrationBoundsOptions): void {
  const n = hits.length / HIT.itemsize;
  if (n === 0) return;
  const wasm = o.wasm?.records === records && o.wasm.layout === recordLayout && o.wasm.base.value === base.value ? o.wasm : undefined;
  if (wasm?.integrationBounds(hits, o.excluded ?? NO_INTERVALS, o.saveOutsideHits, !o.allowBeyondRecords)) return;
  const rec = fieldOffsets(recordLayout, ['time', 'length', 'dt']);
  const hv = viewOf(hits);
  const rv = viewOf(records);
  const { start: exStart, end: exEnd } = o.excluded ?? NO_INTERVALS;
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  const recordStart = new Float64Array(n);
  const recordDt = new Int16Array(n);
  const [left, right] = o.saveOutsideHits;
  const insideRecord = !o.allowBeyondRecords;
  const lastOfChannel = new Int32Array(65536).fill(-1); // by channel + 32768
  let k = 0;
  for (let i = 0, h = 0; i < n; i++, h += HIT.itemsize) {
    const t = base.rel(hv, h + HIT_AT.time);
    const end = t + hv.getInt32(h + HIT_AT.length, true) * hv.getInt16(h + HIT_AT.dt, true);
    const r = hv.getInt32(h + HIT_AT.record_i, true) * rec.itemsize;
    const rt = base.rel(rv, r + rec.time);
    const dt = rv.getInt16(r + rec.dt, true);
    recordStart[i] = rt;
    recordDt[i] = dt;
    while (k < exStart.length && exStart[k]! < t) k++;
    let a = Math.max(k > 0 ? exEnd[k - 1]! : -Infinity, t - left);
    let b = Math.min(k < exStart.length ? exStart[k]! : Infinity, end + right);
    if (insideRecord) {
      a = Math.max(a, rt);
      b = Math.min(b, rt + rv.getInt32(r + rec.length, true) * dt);
    }
    const ch = hv.getInt16(h + HIT_AT.channel, true) + 32768;
    const prev = lastOfChannel[ch]!;
    if (prev >= 0) {
      hi[prev] = Math.min(hi[prev]!, t);
      a = Math.max(hi[prev]!, a);
    }
    lastOfChannel[ch] = i;
    lo[i] = a;
    hi[i] = b;
  }
  for (let i = 0, h = 0; i < n; i++, h += HIT.itemsize) {
    hv.setInt16(h + HIT_AT.left_integration, Math.floor((lo[i]! - recordStart[i]!) / recordDt[i]!), true);
    hv.setInt16(h + HIT_AT.right_integration, Math.floor((hi[i]! - recordStart[i]!) / recordDt[i]!), true);
  }
}

/**
 * strax.integrate_lone_hits: bounds as above with the peaks excluded (inside the record), then
 * `area = Σ data[left_integration:right_integration] + (right − left)·(baseline % 1)`.
 */
export function integrateLoneHits(loneHits: Uint8Array, records: Uint8Array, recordLayout: RecordLayout, base: TimeBase, peaks: Intervals, saveOutsideHits: readonly [number, number]): void {
  findHitIntegrationBounds(loneHits, records, recordLayout, base, { saveOutsideHits, excluded: peaks });
  const rec = fieldOffsets(recordLayout, ['baseline', 'data']);
  const hv = viewOf(loneHits);
  const rv = viewOf(records);
  for (let h = 0; h < loneHits.length; h += HIT.itemsize) {
    const r = hv.getInt32(h + HIT_AT.record_i, true) * recordLayout.itemsize;
    const a = hv.getInt16(h + HIT_AT.left_integration, true);
    const b = hv.getInt16(h + HIT_AT.right_integration, true);
    let sum = 0;
    for (let j = a; j < b; j++) sum += rv.getInt16(r + rec.data + 2 * j, true);
    hv.setFloat32(h + HIT_AT.area, sum + Math.max(0, b - a) * fractionalPart(rv.getFloat32(r + rec.baseline, true)), true);
  }
}

/**
 * find_hit_integration_bounds without excluded intervals, clamped to the record, computed while the hits are found:
 * the hits of one channel arrive in time order (records of a channel do not overlap), so each hit only waits for the
 * next hit of its channel to fix its right bound. Gives the same bounds as the function above on the sorted hits.
 */
export class RecordWindows {
  private readonly pending = new Int32Array(65536).fill(-1); // row of the channel's last hit, by channel + 32768
  private readonly hi = new Float64Array(65536);
  private readonly recordStart = new Float64Array(65536);
  private readonly dt = new Int16Array(65536);
  private readonly touched = new Int32Array(65536);
  private nTouched = 0;

  constructor(private readonly saveOutsideHits: readonly [number, number]) {}

  /** Hit at byte `h` of `hv` ([t, end) in a record starting at `rt`, `recordEnd`, sample width dt, channel ch). */
  add(hv: DataView, h: number, ch: number, t: number, end: number, rt: number, recordEnd: number, dt: number): void {
    const c = ch + 32768;
    let lo = Math.max(rt, t - this.saveOutsideHits[0]);
    const hi = Math.min(recordEnd, end + this.saveOutsideHits[1]);
    const prev = this.pending[c]!;
    if (prev >= 0) {
      const prevHi = Math.min(this.hi[c]!, t);
      hv.setInt16(prev + HIT_AT.right_integration, Math.floor((prevHi - this.recordStart[c]!) / this.dt[c]!), true);
      lo = Math.max(prevHi, lo);
    } else this.touched[this.nTouched++] = c;
    hv.setInt16(h + HIT_AT.left_integration, Math.floor((lo - rt) / dt), true);
    this.pending[c] = h;
    this.hi[c] = hi;
    this.recordStart[c] = rt;
    this.dt[c] = dt;
  }

  /** Write the right bound of each channel's last hit and forget them (call once all hits are added). */
  finish(hv: DataView): void {
    for (let q = 0; q < this.nTouched; q++) {
      const c = this.touched[q]!;
      hv.setInt16(this.pending[c]! + HIT_AT.right_integration, Math.floor((this.hi[c]! - this.recordStart[c]!) / this.dt[c]!), true);
      this.pending[c] = -1;
    }
    this.nTouched = 0;
  }
}
