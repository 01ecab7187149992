// Peaklets: hits clustered by a gap threshold into peaks (strax.find_peaks), at least peak_min_pmts channels each.
import { Plugin, type PluginInputs } from '../engine/plugin.js';
import { defineOptions } from '../engine/options.js';
import { hitDtype } from '../dtype/standard.js';
import { PEAK_OPTIONS, buildPeak, clusterBounds, peakLayout } from './peak-building.js';

const HIT_SIZE = hitDtype().itemsize;

export class Peaklets extends Plugin {
  static override provides = 'peaklets';
  static override dependsOn = ['records', 'hits'];
  static override dtype = peakLayout;
  static override version = '0.1.0';
  static override options = defineOptions({
    ...PEAK_OPTIONS,
    peaklet_gap_threshold: { type: 'int', default: 700, track: true, help: 'Hits further apart than this [ns] start a new peaklet' },
    peak_min_pmts: { type: 'int', default: 2, track: true, help: 'Peaklets need hits in at least this many channels' },
  });

  private stamp = new Int32Array(65536);
  private stampNo = 0;

  compute(inputs: PluginInputs): Uint8Array {
    const hits = inputs.hits!;
    const layout = this.layout;
    const minPmts = Number(this.config.peak_min_pmts);
    const bounds = clusterBounds(hits, Number(this.config.peaklet_gap_threshold));
    const hv = new DataView(hits.buffer, hits.byteOffset, hits.byteLength);
    const groups: number[][] = [];
    for (let k = 0; k + 1 < bounds.length; k++) {
      const a = bounds[k]!;
      const b = bounds[k + 1]!;
      if (b - a < minPmts) continue; // fewer hits than the channels required
      // Distinct channels without allocating: stamp each channel with this cluster's number.
      if (++this.stampNo === 0x7fffffff) this.stamp.fill((this.stampNo = 1) - 1);
      let channels = 0;
      for (let h = a; h < b; h++) {
        const c = hv.getInt16(h * HIT_SIZE + 14, true) + 32768;
        if (this.stamp[c] !== this.stampNo) {
          this.stamp[c] = this.stampNo;
          channels++;
        }
      }
      if (channels >= minPmts) groups.push(Array.from({ length: b - a }, (_, q) => a + q));
    }
    const out = new Uint8Array(groups.length * layout.itemsize);
    groups.forEach((idx, row) => buildPeak(inputs.records!, hits, idx, this.config, out, row));
    return out;
  }
}
