// The synthetic TPC: PMT positions (top and bottom arrays), light patterns, single-photoelectron pulse shape.
import type { Prng } from './prng.js';

export interface DetectorSpec {
  nPmts: number;
  /** Channels [0, nTop) are the top array, [nTop, nPmts) the bottom array. */
  nTop: number;
  /** ADC baseline of the digitizers (per-channel offsets of a few ADC are added). */
  baseline: number;
  noiseRmsAdc: number;
  /** Integral of one photoelectron in ADC × samples. */
  adcPerPe: number;
  sampleNs: number;
}

/** Single-PE pulse shape in samples (sums to 1). */
export const SPE_TEMPLATE = [0.05, 0.3, 0.3, 0.18, 0.1, 0.05, 0.02];

export function defaultDetector(nPmts = 494): DetectorSpec {
  return { nPmts, nTop: Math.round((nPmts * 253) / 494), baseline: 16000, noiseRmsAdc: 2, adcPerPe: 150, sampleNs: 10 };
}

/** PMT (x, y) on a unit disk, sunflower pattern per array. */
export function pmtPositions(det: DetectorSpec): Float64Array {
  const xy = new Float64Array(det.nPmts * 2);
  const place = (first: number, n: number) => {
    for (let i = 0; i < n; i++) {
      const r = Math.sqrt((i + 0.5) / n);
      const th = i * 2.399963229728653;
      xy[2 * (first + i)] = r * Math.cos(th);
      xy[2 * (first + i) + 1] = r * Math.sin(th);
    }
  };
  place(0, det.nTop);
  place(det.nTop, det.nPmts - det.nTop);
  return xy;
}

/** Cumulative channel weights for one interaction: S2 light concentrated on top PMTs above (x, y), S1 more spread. */
export function lightPattern(det: DetectorSpec, xy: Float64Array, x: number, y: number, topFraction: number, spread: number): Float64Array {
  const w = new Float64Array(det.nPmts);
  let top = 0;
  let bottom = 0;
  for (let i = 0; i < det.nPmts; i++) {
    const d2 = (xy[2 * i]! - x) ** 2 + (xy[2 * i + 1]! - y) ** 2;
    const s2 = i < det.nTop ? spread * spread : 0.5;
    w[i] = 1 / Math.pow(1 + d2 / s2, 1.5);
    if (i < det.nTop) top += w[i]!;
    else bottom += w[i]!;
  }
  let acc = 0;
  for (let i = 0; i < det.nPmts; i++) {
    acc += i < det.nTop ? (w[i]! / top) * topFraction : (w[i]! / bottom) * (1 - topFraction);
    w[i] = acc;
  }
  return w;
}

/** Pick a channel from cumulative weights. */
export function pickChannel(cum: Float64Array, rng: Prng): number {
  const u = rng.uniform() * cum[cum.length - 1]!;
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
