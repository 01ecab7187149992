// EventBasics: main and alternate S1/S2 of each event (time, area, width), drift time, number of peaks.
import { makeLayout, type FieldSpec } from '../dtype/layout.js';
import { Plugin, type PluginInputs } from '../engine/plugin.js';
import { EVENTS } from './events.js';
import { PEAK_BASICS } from './peak_basics.js';

const f = (title: string, name: string, typestr: string): FieldSpec => ({ title, name, typestr });
const peakFields = (p: string, what: string): FieldSpec[] => [
  f(`${what} start time (ns since unix epoch, -1 if none)`, `${p}_time`, '<i8'),
  f(`${what} center time (ns since unix epoch, -1 if none)`, `${p}_center_time`, '<i8'),
  f(`${what} area [PE] (NaN if none)`, `${p}_area`, '<f4'),
  f(`${what} width: range of 50% area [ns]`, `${p}_range_50p_area`, '<f4'),
  f(`${what} number of PMTs`, `${p}_n_channels`, '<i2'),
  f(`${what} fraction of area in the top array`, `${p}_area_fraction_top`, '<f4'),
];
export const EVENT_BASICS_FIELDS: FieldSpec[] = [
  f('Event start time (ns since unix epoch)', 'time', '<i8'),
  f('Event end time (ns since unix epoch)', 'endtime', '<i8'),
  f('Number of peaks in the event', 'n_peaks', '<i4'),
  f('Drift time: main S2 minus main S1 center time [ns] (-1 if no pair)', 'drift_time', '<i8'),
  f('Alternate drift time: alt S2 minus main S1 center time [ns]', 'alt_s2_drift_time', '<i8'),
  ...peakFields('s1', 'Main S1'),
  ...peakFields('s2', 'Main S2'),
  ...peakFields('alt_s1', 'Alternate S1'),
  ...peakFields('alt_s2', 'Alternate S2'),
];
export const EVENT_BASICS = makeLayout(EVENT_BASICS_FIELDS);

export class EventBasics extends Plugin {
  static override provides = 'event_basics';
  static override dependsOn = ['events', 'peak_basics'];
  static override dataKind = 'events';
  static override dtype = EVENT_BASICS;
  static override version = '0.1.0';

  compute(inputs: PluginInputs): Uint8Array {
    const ev = inputs.events!;
    const pb = inputs.peak_basics!;
    const ne = ev.length / EVENTS.itemsize;
    const np = pb.length / PEAK_BASICS.itemsize;
    const e = new DataView(ev.buffer, ev.byteOffset, ev.byteLength);
    const p = new DataView(pb.buffer, pb.byteOffset, pb.byteLength);
    const P = (i: number, name: string) => i * PEAK_BASICS.itemsize + PEAK_BASICS.field(name).offset;
    const out = new Uint8Array(ne * EVENT_BASICS.itemsize);
    const w = new DataView(out.buffer);
    let first = 0;
    for (let k = 0; k < ne; k++) {
      const t0 = e.getBigInt64(k * EVENTS.itemsize + EVENTS.field('time').offset, true);
      const t1 = e.getBigInt64(k * EVENTS.itemsize + EVENTS.field('endtime').offset, true);
      while (first < np && p.getBigInt64(P(first, 'time'), true) < t0) first++;
      const s1s: number[] = [];
      const s2s: number[] = [];
      let nPeaks = 0;
      for (let i = first; i < np && p.getBigInt64(P(i, 'time'), true) < t1; i++) {
        if (p.getBigInt64(P(i, 'endtime'), true) > t1) continue;
        nPeaks++;
        const type = p.getInt8(P(i, 'type'));
        if (type === 1) s1s.push(i);
        else if (type === 2) s2s.push(i);
      }
      const byArea = (a: number, b: number) => p.getFloat32(P(b, 'area'), true) - p.getFloat32(P(a, 'area'), true) || a - b;
      s2s.sort(byArea);
      const s2 = s2s[0];
      const s2Time = s2 === undefined ? undefined : p.getBigInt64(P(s2, 'time'), true);
      const s1c = s1s.filter((i) => s2Time === undefined || p.getBigInt64(P(i, 'time'), true) < s2Time).sort(byArea);
      const d = k * EVENT_BASICS.itemsize;
      const B = (name: string) => d + EVENT_BASICS.field(name).offset;
      w.setBigInt64(B('time'), t0, true);
      w.setBigInt64(B('endtime'), t1, true);
      w.setInt32(B('n_peaks'), nPeaks, true);
      const put = (prefix: string, i: number | undefined) => {
        w.setBigInt64(B(`${prefix}_time`), i === undefined ? -1n : p.getBigInt64(P(i, 'time'), true), true);
        w.setBigInt64(B(`${prefix}_center_time`), i === undefined ? -1n : p.getBigInt64(P(i, 'center_time'), true), true);
        w.setFloat32(B(`${prefix}_area`), i === undefined ? NaN : p.getFloat32(P(i, 'area'), true), true);
        w.setFloat32(B(`${prefix}_range_50p_area`), i === undefined ? NaN : p.getFloat32(P(i, 'range_50p_area'), true), true);
        w.setInt16(B(`${prefix}_n_channels`), i === undefined ? 0 : p.getInt16(P(i, 'n_channels'), true), true);
        w.setFloat32(B(`${prefix}_area_fraction_top`), i === undefined ? NaN : p.getFloat32(P(i, 'area_fraction_top'), true), true);
      };
      put('s1', s1c[0]);
      put('s2', s2);
      put('alt_s1', s1c[1]);
      put('alt_s2', s2s[1]);
      const centre = (i: number | undefined) => (i === undefined ? undefined : p.getBigInt64(P(i, 'center_time'), true));
      const c1 = centre(s1c[0]);
      const c2 = centre(s2);
      const c2a = centre(s2s[1]);
      w.setBigInt64(B('drift_time'), c1 !== undefined && c2 !== undefined ? c2 - c1 : -1n, true);
      w.setBigInt64(B('alt_s2_drift_time'), c1 !== undefined && c2a !== undefined ? c2a - c1 : -1n, true);
    }
    return out;
  }
}
