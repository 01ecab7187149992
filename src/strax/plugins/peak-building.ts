// Shared peak algorithms: cluster hits by gap, build peak rows (sum waveform ≤ 200 samples, area per channel, widths), classify.
import type { RecordLayout } from '../dtype/layout.js';
import { hitDtype, peakDtype, recordDtype } from '../dtype/standard.js';
import { defineOptions } from '../engine/options.js';
import { readParts, relTime, writeTime, type Int64Parts } from './packed.js';
import type { PluginConfig } from '../engine/plugin.js';

const REC = recordDtype(110);
const HIT = hitDtype();
export const N_WAVEFORM = 200;

export const PEAK_OPTIONS = defineOptions({
  n_tpc_pmts: { type: 'int', default: 494, track: true, help: 'Number of TPC PMTs (area_per_channel length)' },
  n_top_pmts: { type: 'int', default: 253, track: true, help: 'Channels below this number are the top array' },
  adc_per_pe: { type: 'float', default: 150, track: true, help: 'PMT gain: ADC × samples per photoelectron' },
  s1_max_rise_time: { type: 'float', default: 100, track: true, help: 'Peaks rising (10%→50% area) faster than this [ns] are S1s' },
  s1_min_coincidence: { type: 'int', default: 2, track: true, help: 'S1s need at least this many channels' },
  s2_min_width: { type: 'float', default: 200, track: true, help: 'S2s are at least this wide (50% area range) [ns]' },
  s2_min_pmts: { type: 'int', default: 4, track: true, help: 'S2s need at least this many channels' },
});

const layouts = new Map<number, RecordLayout>();
export function peakLayout(config: PluginConfig): RecordLayout {
  const n = Number(config.n_tpc_pmts ?? 494);
  let l = layouts.get(n);
  if (!l) layouts.set(n, (l = peakDtype({ nChannels: n })));
  return l;
}

/** Cluster boundaries: hits [b[k], b[k+1]) form cluster k; a new cluster starts after a gap > gapNs (hits sorted by time). */
export function clusterBounds(hits: Uint8Array, gapNs: number): Int32Array {
  const n = hits.length / HIT.itemsize;
  const v = new DataView(hits.buffer, hits.byteOffset, hits.byteLength);
  const out = new Int32Array(n + 1);
  let k = 0;
  let from = 0;
  let maxEnd = -Infinity;
  const base = n > 0 ? readParts(v, 0) : { lo: 0, hi: 0 };
  for (let i = 0, s = 0; i < n; i++, s += HIT.itemsize) {
    const t = relTime(v, s, base);
    if (i > from && t - maxEnd > gapNs) {
      out[k++] = from;
      from = i;
    }
    const e = t + v.getInt32(s + 8, true) * v.getInt16(s + 12, true);
    if (e > maxEnd) maxEnd = e;
  }
  if (n > 0) out[k++] = from;
  out[k] = n;
  return out.subarray(0, n > 0 ? k + 1 : 0);
}

/** Hit index ranges [from, to) separated by more than gapNs (hits sorted by time). */
export function clusterHits(hits: Uint8Array, gapNs: number): Array<[number, number]> {
  const b = clusterBounds(hits, gapNs);
  return Array.from({ length: Math.max(0, b.length - 1) }, (_, k) => [b[k]!, b[k + 1]!] as [number, number]);
}

export function distinctChannels(hits: Uint8Array, idx: readonly number[]): number {
  const v = new DataView(hits.buffer, hits.byteOffset, hits.byteLength);
  return new Set(idx.map((i) => v.getInt16(i * HIT.itemsize + 14, true))).size;
}

/** q(k/20) for k = 0…20: times [ns from the start] below which that fraction of the (clamped) area lies. */
export function areaQuantiles(wf: Float64Array, dt: number): Float64Array {
  const q = new Float64Array(21);
  let total = 0;
  for (const x of wf) if (x > 0) total += x;
  if (!(total > 0)) return q;
  let k = 0;
  let cum = 0;
  for (let s = 0; s < wf.length && k <= 20; s++) {
    const x = wf[s]! > 0 ? wf[s]! : 0;
    while (k <= 20 && x > 0 && cum + x >= (k / 20) * total) {
      q[k] = (s + ((k / 20) * total - cum) / x) * dt;
      k++;
    }
    cum += x;
  }
  for (; k <= 20; k++) q[k] = wf.length * dt;
  return q;
}

/**
 * Builds peak rows for one plugin configuration. Config values and field offsets are read once into fields of one
 * class (the same hidden class for Peaklets and Peaks), and the work is split into small methods, so the JIT
 * compiles each quickly and once instead of re-optimising one large function for every caller's config shape.
 */
export class PeakBuilder {
  readonly layout: RecordLayout;
  private readonly nCh: number;
  private readonly nTop: number;
  private readonly toPe: number;
  private readonly s1MaxRise: number;
  private readonly s1MinCoincidence: number;
  private readonly s2MinWidth: number;
  private readonly s2MinPmts: number;
  private readonly oLength: number;
  private readonly oDt: number;
  private readonly oChannel: number;
  private readonly oType: number;
  private readonly oArea: number;
  private readonly oAft: number;
  private readonly oApc: number;
  private readonly oNHits: number;
  private readonly oData: number;
  private readonly oDataTop: number;
  private readonly oDataStart: number;
  private readonly oCenter: number;
  private readonly oMedian: number;
  private readonly oWidth: number;
  private readonly oDecile: number;

  constructor(config: PluginConfig) {
    const layout = peakLayout(config);
    const o = (name: string) => layout.field(name).offset;
    this.layout = layout;
    this.nCh = Number(config.n_tpc_pmts);
    this.nTop = Number(config.n_top_pmts);
    this.toPe = 1 / Number(config.adc_per_pe);
    this.s1MaxRise = Number(config.s1_max_rise_time);
    this.s1MinCoincidence = Number(config.s1_min_coincidence);
    this.s2MinWidth = Number(config.s2_min_width);
    this.s2MinPmts = Number(config.s2_min_pmts);
    this.oLength = o('length');
    this.oDt = o('dt');
    this.oChannel = o('channel');
    this.oType = o('type');
    this.oArea = o('area');
    this.oAft = o('area_fraction_top');
    this.oApc = o('area_per_channel');
    this.oNHits = o('n_hits');
    this.oData = o('data');
    this.oDataTop = o('data_top');
    this.oDataStart = o('data_start');
    this.oCenter = o('center_time');
    this.oMedian = o('median_time');
    this.oWidth = o('width');
    this.oDecile = o('area_decile_from_midpoint');
  }

  /** Build one peak row from a group of hit indices; writes into `out` at row `row`. */
  build(records: Uint8Array, hits: Uint8Array, idx: readonly number[], out: Uint8Array, row: number): void {
    const rv = new DataView(records.buffer, records.byteOffset, records.byteLength);
    const hv = new DataView(hits.buffer, hits.byteOffset, hits.byteLength);
    const base = readParts(rv, hv.getInt32(idx[0]! * HIT.itemsize + 28, true) * REC.itemsize);
    const w = gatherHits(rv, hv, idx, base);
    const L = Math.max(1, (w.end - w.time) / 10);
    const f = Math.ceil(L / N_WAVEFORM);
    const nS = Math.ceil(L / f);
    const sums = { wf: new Float64Array(nS), top: new Float64Array(nS), first: new Float64Array(N_WAVEFORM), apc: new Float64Array(this.nCh) };
    this.accumulate(rv, w, channelOrder(w), f, sums);
    this.write(new DataView(out.buffer, out.byteOffset, out.byteLength), row * this.layout.itemsize, base, w.time, f, nS, idx.length, sums);
  }

  /** Sum the hits' samples (in PE) into the waveform, top waveform, first samples and area per channel. */
  private accumulate(rv: DataView, w: HitColumns, order: Int32Array, f: number, sums: PeakSums): void {
    const { wf, top, first, apc } = sums;
    const { R, RT, CH, LI, RI, time } = w;
    const nCh = this.nCh;
    const nTop = this.nTop;
    const toPe = this.toPe;
    let lastCh = -1;
    let covered = -Infinity;
    for (let q = 0; q < order.length; q++) {
      const h = order[q]!;
      const ch = CH[h]!;
      const ri = RI[h]!;
      if (ch !== lastCh) [lastCh, covered] = [ch, -Infinity];
      const at = (RT[h]! - time) / 10;
      const rs = R[h]! * REC.itemsize;
      const bl = rv.getFloat32(rs + 27, true);
      const fpart = bl - Math.trunc(bl); // bl % 1 without fmod
      const j0 = Math.max(LI[h]!, Math.ceil(covered - at));
      const isTop = ch < nTop;
      const inRange = ch >= 0 && ch < nCh;
      let chArea = inRange ? apc[ch]! : 0;
      for (let j = j0; j < ri; j++) {
        const pe = (rv.getInt16(rs + 37 + 2 * j, true) + fpart) * toPe;
        const bin = at + j;
        const k = (bin / f) | 0;
        wf[k]! += pe;
        if (bin < N_WAVEFORM) first[bin]! += pe;
        if (isTop) top[k]! += pe;
        chArea += pe;
      }
      if (inRange) apc[ch] = chArea;
      covered = Math.max(covered, at + ri);
    }
  }

  private write(v: DataView, o: number, base: Int64Parts, time: number, f: number, nS: number, nHits: number, sums: PeakSums): void {
    const { wf, top, first, apc } = sums;
    const nCh = this.nCh;
    let area = 0;
    let areaTop = 0;
    let centre = 0;
    for (let k = 0; k < nS; k++) {
      area += wf[k]!;
      areaTop += top[k]!;
      centre += wf[k]! * (k + 0.5) * f * 10;
    }
    writeTime(v, o, base, time);
    v.setInt32(o + this.oLength, nS, true);
    v.setInt32(o + this.oDt, f * 10, true);
    v.setInt16(o + this.oChannel, -1, true);
    v.setFloat32(o + this.oArea, area, true);
    v.setFloat32(o + this.oAft, area > 0 ? areaTop / area : 0, true);
    for (let c = 0; c < nCh; c++) v.setFloat32(o + this.oApc + 4 * c, apc[c]!, true);
    v.setInt32(o + this.oNHits, nHits, true);
    for (let k = 0; k < nS; k++) {
      v.setFloat32(o + this.oData + 4 * k, wf[k]!, true);
      v.setFloat32(o + this.oDataTop + 4 * k, top[k]!, true);
    }
    for (let k = 0; k < N_WAVEFORM; k++) v.setFloat32(o + this.oDataStart + 4 * k, first[k]!, true);
    writeTime(v, o + this.oCenter, base, time + Math.round(area > 0 ? centre / area : 0));
    const q = areaQuantiles(wf, f * 10);
    v.setFloat32(o + this.oMedian, q[10]!, true);
    for (let i = 0; i <= 10; i++) {
      v.setFloat32(o + this.oWidth + 4 * i, q[10 + i]! - q[10 - i]!, true);
      v.setFloat32(o + this.oDecile + 4 * i, q[2 * i]! - q[10]!, true);
    }
    let nChannels = 0;
    for (let c = 0; c < nCh; c++) if (apc[c]! > 0) nChannels++;
    const rise = q[10]! - q[2]!;
    const width50 = q[15]! - q[5]!;
    let type = 0;
    if (rise <= this.s1MaxRise && nChannels >= this.s1MinCoincidence) type = 1;
    else if (width50 >= this.s2MinWidth && nChannels >= this.s2MinPmts) type = 2;
    v.setInt8(o + this.oType, type);
  }
}

interface PeakSums {
  wf: Float64Array;
  top: Float64Array;
  first: Float64Array;
  apc: Float64Array;
}

/** A peak's hits as columns: record index, record start [ns from base], channel, integration bounds; time span. */
interface HitColumns {
  R: Int32Array;
  RT: Float64Array;
  CH: Int32Array;
  LI: Int32Array;
  RI: Int32Array;
  minCh: number;
  maxCh: number;
  time: number;
  end: number;
}

function gatherHits(rv: DataView, hv: DataView, idx: readonly number[], base: Int64Parts): HitColumns {
  const m = idx.length;
  const R = new Int32Array(m);
  const RT = new Float64Array(m);
  const CH = new Int32Array(m);
  const LI = new Int32Array(m);
  const RI = new Int32Array(m);
  let minCh = Infinity;
  let maxCh = -Infinity;
  for (let q = 0; q < m; q++) {
    const s = idx[q]! * HIT.itemsize;
    const r = hv.getInt32(s + 28, true);
    const ch = hv.getInt16(s + 14, true);
    R[q] = r;
    RT[q] = relTime(rv, r * REC.itemsize, base);
    CH[q] = ch;
    LI[q] = hv.getInt16(s + 24, true);
    RI[q] = hv.getInt16(s + 26, true);
    if (ch < minCh) minCh = ch;
    if (ch > maxCh) maxCh = ch;
  }
  let time = RT[0]! + LI[0]! * 10;
  let end = time;
  for (let q = 0; q < m; q++) {
    const a = RT[q]! + LI[q]! * 10;
    const b = RT[q]! + RI[q]! * 10;
    if (a < time) time = a;
    if (b > end) end = b;
  }
  return { R, RT, CH, LI, RI, minCh, maxCh, time, end };
}

/**
 * Hit order for summing: channel, then (record time, left integration bound). Within one channel the hits arrive in
 * time order (records of a channel do not overlap), which is that order, so a stable counting sort by channel is
 * enough; checked, with a comparison sort as fallback.
 */
function channelOrder(w: HitColumns): Int32Array {
  const { CH, RT, LI, minCh, maxCh } = w;
  const m = CH.length;
  const count = new Int32Array(maxCh - minCh + 2);
  for (let q = 0; q < m; q++) count[CH[q]! - minCh + 1]!++;
  for (let c = 1; c < count.length; c++) count[c]! += count[c - 1]!;
  const order = new Int32Array(m);
  for (let q = 0; q < m; q++) order[count[CH[q]! - minCh]!++] = q;
  for (let q = 1; q < m; q++) {
    const x = order[q - 1]!;
    const y = order[q]!;
    if (CH[x] === CH[y] && (RT[y]! < RT[x]! || (RT[y] === RT[x] && LI[y]! < LI[x]!))) {
      return Int32Array.from({ length: m }, (_, k) => k).sort((u, v) => CH[u]! - CH[v]! || RT[u]! - RT[v]! || LI[u]! - LI[v]! || u - v);
    }
  }
  return order;
}

const builders = new WeakMap<PluginConfig, PeakBuilder>();

/** Build one peak row per group of hit indices; writes into `out` at row `row` (one PeakBuilder per config). */
export function buildPeak(records: Uint8Array, hits: Uint8Array, idx: number[], config: PluginConfig, out: Uint8Array, row: number): void {
  let b = builders.get(config);
  if (!b) builders.set(config, (b = new PeakBuilder(config)));
  b.build(records, hits, idx, out, row);
}

/** Endtime of peak row i. */
export function peakEnd(layout: RecordLayout, v: DataView, i: number): bigint {
  const o = i * layout.itemsize;
  return v.getBigInt64(o, true) + BigInt(v.getInt32(o + layout.field('length').offset, true) * v.getInt32(o + layout.field('dt').offset, true));
}
