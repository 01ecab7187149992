// Peaks: peaklets that are not S1s and lie closer than a gap merged into one peak, re-summed from the hitlets of its
// hits, and classified S1/S2; the other peaklets are kept as they are.
import { Plugin, type ChunkRange, type PluginConfig, type PluginInputs } from '../engine/plugin.js';
import { defineOptions } from '../engine/options.js';
import { DIGITAL_SUM_WAVEFORM_CHANNEL, recordDtype } from '../dtype/standard.js';
import { fieldOffsets, viewOf, type TimeBase } from './kernels/fields.js';
import { countHitlets, sumPeaksFromHitlets } from './kernels/peaklet-recipe.js';
import { PEAK_EXTENSION_OPTIONS, PEAK_OPTIONS, classifyPeaks, peakEnd, peakLayout, toPeOf } from './peak-building.js';
import { timeBaseOf } from './hits.js';

const RECORDS = recordDtype(110);
const S1 = 1;

const PEAKS_OPTIONS = defineOptions({
  ...PEAK_OPTIONS,
  ...PEAK_EXTENSION_OPTIONS,
  s2_merge_gap_threshold: { type: 'int', default: 3500, track: true, help: 'Non-S1 peaklets closer than this [ns] are merged' },
  s2_merge_max_duration: { type: 'int', default: 50000, track: true, help: 'Merged peaks are at most this long [ns]' },
});

export class Peaks extends Plugin<typeof PEAKS_OPTIONS> {
  static override provides = 'peaks';
  static override dependsOn = ['peaklets', 'records', 'hits'];
  static override dtype = peakLayout;
  static override version = '0.2.0';
  /** As straxen's MergedS2s: merged peaks may straddle a segment boundary. */
  static override overlapWindow = (c: PluginConfig) => 5 * (Number(c.s2_merge_gap_threshold) + Number(c.s2_merge_max_duration));
  static override options = PEAKS_OPTIONS;

  compute(inputs: PluginInputs, range: ChunkRange): Uint8Array {
    const layout = this.layout;
    const peaklets = inputs.peaklets!;
    const groups = this.mergeGroups(peaklets);
    const records = inputs.records!;
    const base = timeBaseOf(records, range);
    const recordDt = records.length > 0 ? viewOf(records).getInt16(RECORDS.field('dt').offset, true) : 10;
    const out = new Uint8Array(groups.length * layout.itemsize);
    const merged: number[] = [];
    groups.forEach(([a, b], row) => {
      if (b - a === 1) out.set(peaklets.subarray(a * layout.itemsize, b * layout.itemsize), row * layout.itemsize);
      else {
        writeMergedWindow(out, row, peaklets, [a, b], base, recordDt, layout);
        merged.push(row);
      }
    });
    if (merged.length === 0) return out;
    const c = this.config;
    const chunk = { start: base.relOf(range.start), end: base.relOf(range.end) };
    const { hitColumns, wasm } = sumPeaksFromHitlets(out, layout, inputs.hits!, records, RECORDS, base, chunk, { toPe: toPeOf(c), nTopChannels: c.n_top_pmts, saveOutsideHits: [c.peak_left_extension, c.peak_right_extension], skipLoneHits: true }, merged);
    countHitlets(out, layout, hitColumns, base, { only: merged, wasm });
    const rows = merged.map((i) => out.subarray(i * layout.itemsize, (i + 1) * layout.itemsize));
    for (const r of rows) classifyPeaks(r, layout, c);
    return out;
  }

  /** Peaklet index ranges [a, b) to merge: consecutive non-S1s closer than the gap, within the maximum duration. */
  private mergeGroups(peaklets: Uint8Array): Array<[number, number]> {
    const layout = this.layout;
    const size = layout.itemsize;
    const n = peaklets.length / size;
    const v = viewOf(peaklets);
    const typeAt = layout.field('type').offset;
    const gap = BigInt(this.config.s2_merge_gap_threshold);
    const maxDuration = BigInt(this.config.s2_merge_max_duration);
    const groups: Array<[number, number]> = [];
    let first = 0;
    let groupEnd = n > 0 ? peakEnd(layout, v, 0) : 0n;
    for (let i = 1; i <= n; i++) {
      const mergeable = i < n && v.getInt8((i - 1) * size + typeAt) !== S1 && v.getInt8(i * size + typeAt) !== S1;
      if (mergeable && v.getBigInt64(i * size, true) - groupEnd < gap && peakEnd(layout, v, i) - v.getBigInt64(first * size, true) <= maxDuration) {
        const e = peakEnd(layout, v, i);
        if (e > groupEnd) groupEnd = e;
        continue;
      }
      groups.push([first, i]);
      if (i < n) [first, groupEnd] = [i, peakEnd(layout, v, i)];
    }
    return groups;
  }
}

/** An empty peak row spanning the merged peaklets [a, b) at the records' sample width (summed afterwards). */
function writeMergedWindow(out: Uint8Array, row: number, peaklets: Uint8Array, [a, b]: [number, number], base: TimeBase, dt: number, layout: ReturnType<typeof peakLayout>): void {
  const at = fieldOffsets(layout, ['time', 'length', 'dt', 'channel']);
  const pv = viewOf(peaklets);
  const v = viewOf(out);
  const o = row * layout.itemsize;
  const start = base.rel(pv, a * layout.itemsize + at.time);
  let end = start;
  for (let i = a; i < b; i++) end = Math.max(end, base.relOf(peakEnd(layout, pv, i)));
  base.write(v, o + at.time, start);
  v.setInt32(o + at.length, Math.floor((end - start) / dt), true);
  v.setInt32(o + at.dt, dt, true);
  v.setInt16(o + at.channel, DIGITAL_SUM_WAVEFORM_CHANNEL, true);
}
