// Peaks: peaklets with S2 fragments closer than a gap merged (waveforms rebuilt from the hits), S1/S2 classified.
import { hitDtype } from '../dtype/standard.js';
import { Plugin, type PluginConfig, type PluginInputs } from '../engine/plugin.js';
import { defineOptions } from '../engine/options.js';
import { PEAK_OPTIONS, buildPeak, peakEnd, peakLayout } from './peak-building.js';

const HIT = hitDtype();

export class Peaks extends Plugin {
  static override provides = 'peaks';
  static override dependsOn = ['peaklets', 'records', 'hits'];
  static override dtype = peakLayout;
  static override version = '0.1.0';
  /** As straxen's MergedS2s: merged peaks may straddle a segment boundary. */
  static override overlapWindow = (c: PluginConfig) => 5 * (Number(c.s2_merge_gap_threshold) + Number(c.s2_merge_max_duration));
  static override options = defineOptions({
    ...PEAK_OPTIONS,
    s2_merge_gap_threshold: { type: 'int', default: 3500, track: true, help: 'Non-S1 peaklets closer than this [ns] are merged' },
    s2_merge_max_duration: { type: 'int', default: 50000, track: true, help: 'Merged peaks are at most this long [ns]' },
  });

  compute(inputs: PluginInputs): Uint8Array {
    const layout = this.layout;
    const size = layout.itemsize;
    const pk = inputs.peaklets!;
    const hits = inputs.hits!;
    const n = pk.length / size;
    const v = new DataView(pk.buffer, pk.byteOffset, pk.byteLength);
    const typeOff = layout.field('type').offset;
    const groups: Array<[number, number]> = [];
    let g0 = 0;
    let gEnd = n > 0 ? peakEnd(layout, v, 0) : 0n;
    const gap = BigInt(Number(this.config.s2_merge_gap_threshold));
    const maxDur = BigInt(Number(this.config.s2_merge_max_duration));
    for (let i = 1; i <= n; i++) {
      const mergeable = i < n && v.getInt8((i - 1) * size + typeOff) !== 1 && v.getInt8(i * size + typeOff) !== 1;
      const t = i < n ? v.getBigInt64(i * size, true) : 0n;
      if (mergeable && t - gEnd < gap && peakEnd(layout, v, i) - v.getBigInt64(g0 * size, true) <= maxDur) {
        const e = peakEnd(layout, v, i);
        if (e > gEnd) gEnd = e;
        continue;
      }
      groups.push([g0, i]);
      if (i < n) [g0, gEnd] = [i, peakEnd(layout, v, i)];
    }
    const out = new Uint8Array(groups.length * size);
    const hv = new DataView(hits.buffer, hits.byteOffset, hits.byteLength);
    const nh = hits.length / HIT.itemsize;
    const firstHitAt = (t: bigint) => {
      let lo = 0;
      let hi = nh;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (hv.getBigInt64(mid * HIT.itemsize, true) < t) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    groups.forEach(([a, b], row) => {
      if (b - a === 1) {
        out.set(pk.subarray(a * size, b * size), row * size);
        return;
      }
      const t0 = v.getBigInt64(a * size, true);
      let t1 = t0;
      for (let i = a; i < b; i++) if (peakEnd(layout, v, i) > t1) t1 = peakEnd(layout, v, i);
      const idx: number[] = [];
      for (let h = firstHitAt(t0); h < nh && hv.getBigInt64(h * HIT.itemsize, true) < t1; h++) idx.push(h);
      buildPeak(inputs.records!, hits, idx, this.config, out, row);
    });
    return out;
  }
}
