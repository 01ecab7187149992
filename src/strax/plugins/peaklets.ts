// Peaklets: hits clustered by a gap threshold into peaks (strax.find_peaks), at least peak_min_pmts channels each.
import { Plugin, type PluginInputs } from '../engine/plugin.js';
import { defineOptions } from '../engine/options.js';
import { PEAK_OPTIONS, buildPeak, clusterHits, distinctChannels, peakLayout } from './peak-building.js';

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

  compute(inputs: PluginInputs): Uint8Array {
    const hits = inputs.hits!;
    const layout = this.layout;
    const groups = clusterHits(hits, Number(this.config.peaklet_gap_threshold))
      .map(([a, b]) => Array.from({ length: b - a }, (_, k) => a + k))
      .filter((idx) => distinctChannels(hits, idx) >= Number(this.config.peak_min_pmts));
    const out = new Uint8Array(groups.length * layout.itemsize);
    groups.forEach((idx, row) => buildPeak(inputs.records!, hits, idx, this.config, out, row));
    return out;
  }
}
