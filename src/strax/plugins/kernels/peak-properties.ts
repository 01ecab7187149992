// strax.compute_properties: median time, widths and area deciles (compute_widths), center time, area fraction top.
import type { RecordLayout } from '../../dtype/layout.js';
import { fieldOffsets, viewOf, type TimeBase } from './fields.js';
import { PEAK_FIELDS } from './find-peaks.js';
import type { WasmRecords } from './records-wasm.js';

/** The area fractions compute_widths asks for: 0.5 ∓ w/2 for w = 0.1 … 1 (numpy's linspace values) and 0.5, sorted. */
export function desiredFractions(nWidths: number): Float64Array {
  const widths = Array.from({ length: nWidths - 1 }, (_, i) => (i + 1 === nWidths - 1 ? 1 : (i + 1) * (1 / (nWidths - 1))));
  const all = [...widths.map((w) => 0.5 - w / 2), ...widths.map((w) => 0.5 + w / 2), 0.5];
  return Float64Array.from([...new Set(all)].sort((a, b) => a - b));
}

/**
 * strax.compute_index_of_fraction: the fractional sample index at which the waveform reaches each fraction of the
 * peak's area (float32 per-sample fractions, float64 running sum), the last fraction (1) pinned to the length.
 */
export function indexOfFraction(wf: Float32Array, area: number, fractions: Float64Array, out: Float32Array): void {
  out.fill(0);
  if (!(area > 0)) return;
  let seen = 0;
  let k = 0;
  let needed = fractions[0]!;
  for (let i = 0; i < wf.length && k < fractions.length; i++) {
    const x = wf[i]!;
    const frac = Math.fround(x / area);
    while (seen + frac >= needed) {
      out[k] = x !== 0 ? i + (area * (needed - seen)) / x : i;
      k++;
      if (k > fractions.length - 1) break;
      needed = fractions[k]!;
    }
    seen += frac;
  }
  if (needed === 1) out[fractions.length - 1] = wf.length;
}

/** Weighted mean sample index, as numba 0.56 computes np.average (float32 products and sums), as the time of its centre. */
export function centerTime(wf: Float32Array, time: number, dt: number): number {
  let total = 0;
  let moment = 0;
  for (let k = 0; k < wf.length; k++) {
    total = Math.fround(total + wf[k]!);
    moment = Math.fround(moment + Math.fround(k * wf[k]!));
  }
  if (total === 0) return time;
  const t = Math.fround(moment / total);
  return Math.min(Math.max(time + Math.trunc((t + 0.5) * dt), time), time + wf.length * dt);
}

/**
 * Fill median_time, width, area_decile_from_midpoint, center_time (and area_fraction_top when nTopChannels > 0); in
 * WebAssembly (wasm/peak-properties.ts) beside `wasm`'s records when given with the same base.
 */
export function computeProperties(peaks: Uint8Array, layout: RecordLayout, base: TimeBase, nTopChannels = 0, wasm?: WasmRecords): void {
  const nWidths = layout.field('width').count;
  const fractions = desiredFractions(nWidths);
  if (wasm?.fresh && wasm.base.value === base.value && wasm.properties(peaks, layout, fractions, nTopChannels)) return;
  const at = fieldOffsets(layout, PEAK_FIELDS);
  const mid = fractions.length >> 1;
  const times = new Float32Array(fractions.length);
  const v = viewOf(peaks);
  for (let p = 0; p < peaks.length; p += layout.itemsize) {
    const length = v.getInt32(p + at.length, true);
    const dt = v.getInt32(p + at.dt, true);
    const area = v.getFloat32(p + at.area, true);
    const wf = new Float32Array(length);
    for (let k = 0; k < length; k++) wf[k] = v.getFloat32(p + at.data + 4 * k, true);
    indexOfFraction(wf, area, fractions, times);
    for (let k = 0; k < times.length; k++) times[k] = times[k]! * dt;
    v.setFloat32(p + at.median_time, times[mid]!, true);
    for (let j = 0; j < nWidths; j++) {
      v.setFloat32(p + at.width + 4 * j, times[mid + j]! - times[mid - j]!, true);
      v.setFloat32(p + at.area_decile_from_midpoint + 4 * j, times[2 * j]! - times[mid]!, true);
    }
    base.write(v, p + at.center_time, centerTime(wf, base.rel(v, p + at.time), dt));
    if (nTopChannels > 0) {
      let top = 0;
      for (let c = 0; c < nTopChannels; c++) top = Math.fround(top + v.getFloat32(p + at.area_per_channel + 4 * c, true));
      v.setFloat32(p + at.area_fraction_top, area > 0 ? top / area : NaN, true);
    }
  }
}
