// What peaklets and peaks share: the detector options, the peak layout, gains as to_pe, and the S1/S2 classification.
import { ConfigError } from '../../errors.js';
import type { RecordLayout } from '../dtype/layout.js';
import { peakDtype } from '../dtype/standard.js';
import { defineOptions } from '../engine/options.js';
import type { ConfigOf } from '../engine/plugin.js';
import { fieldOffsets, viewOf } from './kernels/fields.js';

export const PEAK_OPTIONS = defineOptions({
  n_tpc_pmts: { type: 'int', default: 494, track: true, help: 'Number of TPC PMTs (area_per_channel length)' },
  n_top_pmts: { type: 'int', default: 253, track: true, help: 'Channels below this number are the top array' },
  adc_per_pe: { type: 'float', default: 150, track: true, help: 'PMT gain: ADC × samples per photoelectron' },
  pmt_to_pe: { type: 'json', default: null, track: true, help: 'PE per ADC·sample of each channel (n_tpc_pmts numbers, strax to_pe); null = 1 / adc_per_pe for all' },
  s1_max_rise_time: { type: 'float', default: 100, track: true, help: 'Peaks rising (10%→50% area) faster than this [ns] are S1s' },
  s1_min_coincidence: { type: 'int', default: 2, track: true, help: 'S1s need at least this many channels' },
  s2_min_width: { type: 'float', default: 200, track: true, help: 'S2s are at least this wide (50% area range) [ns]' },
  s2_min_pmts: { type: 'int', default: 4, track: true, help: 'S2s need at least this many channels' },
});

/** How hits are integrated into peaks: straxen's peak extensions, also the hitlets' integration window. */
export const PEAK_EXTENSION_OPTIONS = defineOptions({
  peak_left_extension: { type: 'int', default: 30, track: true, help: 'Peaks start this long [ns] before their first hit; hitlets integrate this long before a hit' },
  peak_right_extension: { type: 'int', default: 200, track: true, help: 'Peaks end this long [ns] after their last hit; hitlets integrate this long after a hit' },
});

type PeakConfig = ConfigOf<typeof PEAK_OPTIONS>;

const layouts = new Map<number, RecordLayout>();

/** strax.peak_dtype for the configured number of channels (cached). */
export function peakLayout(config: { n_tpc_pmts?: unknown }): RecordLayout {
  const n = Number(config.n_tpc_pmts ?? 494);
  let l = layouts.get(n);
  if (!l) layouts.set(n, (l = peakDtype({ nChannels: n })));
  return l;
}

/** PE per ADC·sample of every channel: `pmt_to_pe` when given, else one gain for all PMTs. */
export function toPeOf(config: PeakConfig): Float64Array {
  const perChannel = config.pmt_to_pe;
  if (perChannel === null) return new Float64Array(config.n_tpc_pmts).fill(1 / config.adc_per_pe);
  if (!Array.isArray(perChannel) || perChannel.length !== config.n_tpc_pmts || !perChannel.every((x) => typeof x === 'number')) {
    throw new ConfigError(`plugin option pmt_to_pe: expected a list of ${config.n_tpc_pmts} numbers (n_tpc_pmts) or null`, { context: { option: 'pmt_to_pe' } });
  }
  return Float64Array.from(perChannel as number[]);
}

/** Channels with a positive area. */
export function contributingChannels(v: DataView, areaPerChannel: number, nChannels: number): number {
  let k = 0;
  for (let c = 0; c < nChannels; c++) if (v.getFloat32(areaPerChannel + 4 * c, true) > 0) k++;
  return k;
}

/**
 * The peak type: S1 (1) when it rises (10 % → 50 % area) within s1_max_rise_time on enough channels, else S2 (2) when
 * its central 50 % of area is at least s2_min_width wide on enough channels, else unknown (0).
 */
export function classifyPeaks(peaks: Uint8Array, layout: RecordLayout, config: PeakConfig): void {
  const at = fieldOffsets(layout, ['type', 'area_per_channel', 'width', 'area_decile_from_midpoint']);
  const v = viewOf(peaks);
  for (let p = 0; p < peaks.length; p += layout.itemsize) {
    const channels = contributingChannels(v, p + at.area_per_channel, config.n_tpc_pmts);
    const riseTime = -v.getFloat32(p + at.area_decile_from_midpoint + 4, true);
    const width50 = v.getFloat32(p + at.width + 4 * 5, true);
    let type = 0;
    if (riseTime <= config.s1_max_rise_time && channels >= config.s1_min_coincidence) type = 1;
    else if (width50 >= config.s2_min_width && channels >= config.s2_min_pmts) type = 2;
    v.setInt8(p + at.type, type);
  }
}

/** Endtime of peak row i. */
export function peakEnd(layout: RecordLayout, v: DataView, i: number): bigint {
  const o = i * layout.itemsize;
  return v.getBigInt64(o, true) + BigInt(v.getInt32(o + layout.field('length').offset, true) * v.getInt32(o + layout.field('dt').offset, true));
}
