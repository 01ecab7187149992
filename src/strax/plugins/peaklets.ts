// Peaklets: hits grouped into peaks by a gap (strax.find_peaks), summed from their hitlets, split at natural breaks,
// and classified S1/S2 — straxen's Peaklets.compute on one chunk.
import { Plugin, type ChunkRange, type ConfigOf, type PluginInputs } from '../engine/plugin.js';
import { defineOptions } from '../engine/options.js';
import { recordDtype } from '../dtype/standard.js';
import { buildPeaklets, findLoneHits } from './kernels/peaklet-recipe.js';
import { HIT } from './kernels/find-hits.js';
import type { FindPeaksOptions } from './kernels/find-peaks.js';
import type { GofLine } from './kernels/natural-breaks.js';
import { PEAK_EXTENSION_OPTIONS, PEAK_OPTIONS, classifyPeaks, peakLayout, toPeOf } from './peak-building.js';
import { timeBaseOf } from './hits.js';

const RECORDS = recordDtype(110);

const PEAKLETS_OPTIONS = defineOptions({
  ...PEAK_OPTIONS,
  ...PEAK_EXTENSION_OPTIONS,
  peaklet_gap_threshold: { type: 'int', default: 700, track: true, help: 'A hit this long [ns] or more after the last hit end starts a new peaklet' },
  peak_min_pmts: { type: 'int', default: 2, track: true, help: 'Peaklets need hits in at least this many channels' },
  peaklet_max_duration: { type: 'int', default: 10_000_000, track: true, help: 'Peaklets are at most this long [ns]' },
  peak_split_gof_threshold: {
    type: 'json', default: [null, [[0.5, 1.0], [6.0, 0.4]], [[2.5, 1.0], [5.625, 0.4]]], track: true,
    help: 'Natural breaks: (log10 area, goodness-of-split threshold) lines for S1-like and S2-like peaks (straxen)',
  },
  peak_split_filter_wing_width: { type: 'int', default: 70, track: true, help: 'Natural breaks: wing [ns] of the moving average for split_low' },
  peak_split_min_area: { type: 'float', default: 40, track: true, help: 'Natural breaks: peaks below this area [PE] are not split' },
  peak_split_iterations: { type: 'int', default: 20, track: true, help: 'Natural breaks: split pieces are split again at most this many times' },
});

type PeakletsConfig = ConfigOf<typeof PEAKLETS_OPTIONS>;

/** find_peaks as straxen's Peaklets calls it: no area cut, the peaklet gap, the extensions, min channels, max duration. */
function findOptionsOf(c: PeakletsConfig): FindPeaksOptions {
  return {
    toPe: toPeOf(c), gapThreshold: c.peaklet_gap_threshold, leftExtension: c.peak_left_extension, rightExtension: c.peak_right_extension,
    minArea: 0, minChannels: c.peak_min_pmts, maxDuration: c.peaklet_max_duration,
  };
}

export class Peaklets extends Plugin<typeof PEAKLETS_OPTIONS> {
  static override provides = 'peaklets';
  static override dependsOn = ['records', 'hits'];
  static override dtype = peakLayout;
  static override version = '0.2.0';
  static override options = PEAKLETS_OPTIONS;

  compute(inputs: PluginInputs, range: ChunkRange): Uint8Array {
    const c = this.config;
    const records = inputs.records!;
    const base = timeBaseOf(records, range);
    const [, s1Line, s2Line] = c.peak_split_gof_threshold as unknown as [null, GofLine, GofLine];
    const { peaklets } = buildPeaklets(records, RECORDS, inputs.hits!, this.layout, base, { start: base.relOf(range.start), end: base.relOf(range.end) }, {
      find: findOptionsOf(c),
      split: {
        s1Line, s2Line, splitLow: true, filterWingWidth: c.peak_split_filter_wing_width, minArea: c.peak_split_min_area,
        iterations: c.peak_split_iterations, nTopChannels: c.n_top_pmts,
      },
      saveOutsideHits: [c.peak_left_extension, c.peak_right_extension],
      skipLoneHits: true, // the LoneHits plugin re-integrates them when lone_hits is wanted
    });
    classifyPeaks(peaklets, this.layout, c);
    return peaklets;
  }
}

/**
 * Lone hits: hits that are not fully inside any peaklet, re-integrated over the peak extensions with the peaklets
 * excluded (straxen's Peaklets provides them beside peaklets; daqflow's plugins provide one type each, so this one
 * finds the peaklets' extent again from the same hits and options — identical rows, its own lineage).
 */
export class LoneHits extends Plugin<typeof PEAKLETS_OPTIONS> {
  static override provides = 'lone_hits';
  static override dependsOn = ['records', 'hits'];
  static override dtype = HIT;
  static override version = '0.1.0';
  static override rowReference = { field: 'record_i', into: 'records' };
  static override compressorLevel = 1;
  static override options = PEAKLETS_OPTIONS;

  compute(inputs: PluginInputs, range: ChunkRange): Uint8Array {
    const c = this.config;
    const records = inputs.records!;
    const base = timeBaseOf(records, range);
    return findLoneHits(records, RECORDS, inputs.hits!, peakLayout(c), base, { start: base.relOf(range.start), end: base.relOf(range.end) }, {
      find: findOptionsOf(c),
      saveOutsideHits: [c.peak_left_extension, c.peak_right_extension],
    });
  }
}
