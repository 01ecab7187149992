// PeakBasics: the per-peak summary quantities (time, area, channels, widths, rise time, S1/S2 type).
import { makeLayout, type FieldSpec } from '../dtype/layout.js';
import { Plugin, type PluginInputs } from '../engine/plugin.js';
import { PEAK_OPTIONS, peakEnd, peakLayout } from './peak-building.js';

const f = (title: string, name: string, typestr: string): FieldSpec => ({ title, name, typestr });
export const PEAK_BASICS = makeLayout([
  f('Start time of the peak (ns since unix epoch)', 'time', '<i8'),
  f('End time of the peak (ns since unix epoch)', 'endtime', '<i8'),
  f('Weighted center time of the peak (ns since unix epoch)', 'center_time', '<i8'),
  f('Peak integral in PE', 'area', '<f4'),
  f('Number of hits contributing at least one sample to the peak', 'n_hits', '<i4'),
  f('Number of PMTs contributing to the peak', 'n_channels', '<i2'),
  f('PMT number which contributes the most PE', 'max_pmt', '<i2'),
  f('Area of signal in the largest-contributing PMT (PE)', 'max_pmt_area', '<f4'),
  f('Width (in ns) of the central 50% area of the peak', 'range_50p_area', '<f4'),
  f('Width (in ns) of the central 90% area of the peak', 'range_90p_area', '<f4'),
  f('Fraction of area seen by the top array', 'area_fraction_top', '<f4'),
  f('Time between 10% and 50% area quantiles [ns]', 'rise_time', '<f4'),
  f('Classification of the peak (0 unknown, 1 S1, 2 S2)', 'type', '|i1'),
]);

export class PeakBasics extends Plugin<typeof PEAK_OPTIONS> {
  static override provides = 'peak_basics';
  static override dependsOn = ['peaks'];
  static override dataKind = 'peaks';
  static override dtype = PEAK_BASICS;
  static override version = '0.1.0';
  static override options = PEAK_OPTIONS;

  compute(inputs: PluginInputs): Uint8Array {
    const pl = peakLayout(this.config);
    const pk = inputs.peaks!;
    const n = pk.length / pl.itemsize;
    const v = new DataView(pk.buffer, pk.byteOffset, pk.byteLength);
    const out = new Uint8Array(n * PEAK_BASICS.itemsize);
    const w = new DataView(out.buffer);
    const P = (name: string) => pl.field(name).offset;
    const B = (name: string) => PEAK_BASICS.field(name).offset;
    const nCh = this.config.n_tpc_pmts;
    for (let i = 0; i < n; i++) {
      const s = i * pl.itemsize;
      const d = i * PEAK_BASICS.itemsize;
      let nChannels = 0;
      let maxPmt = -1;
      let maxArea = 0;
      for (let c = 0; c < nCh; c++) {
        const a = v.getFloat32(s + P('area_per_channel') + 4 * c, true);
        if (a > 0) nChannels++;
        if (a > maxArea) [maxArea, maxPmt] = [a, c];
      }
      w.setBigInt64(d, v.getBigInt64(s, true), true);
      w.setBigInt64(d + B('endtime'), peakEnd(pl, v, i), true);
      w.setBigInt64(d + B('center_time'), v.getBigInt64(s + P('center_time'), true), true);
      w.setFloat32(d + B('area'), v.getFloat32(s + P('area'), true), true);
      w.setInt32(d + B('n_hits'), v.getInt32(s + P('n_hits'), true), true);
      w.setInt16(d + B('n_channels'), nChannels, true);
      w.setInt16(d + B('max_pmt'), maxPmt, true);
      w.setFloat32(d + B('max_pmt_area'), maxArea, true);
      w.setFloat32(d + B('range_50p_area'), v.getFloat32(s + P('width') + 4 * 5, true), true);
      w.setFloat32(d + B('range_90p_area'), v.getFloat32(s + P('width') + 4 * 9, true), true);
      w.setFloat32(d + B('area_fraction_top'), v.getFloat32(s + P('area_fraction_top'), true), true);
      w.setFloat32(d + B('rise_time'), -v.getFloat32(s + P('area_decile_from_midpoint') + 4 * 1, true), true);
      w.setInt8(d + B('type'), v.getInt8(s + P('type')));
    }
    return out;
  }
}
