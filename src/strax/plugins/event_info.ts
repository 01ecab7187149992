// EventInfo: event_basics plus corrected areas (S2 electron lifetime, S1 light yield) and the combined energy e_ces.
import { makeLayout } from '../dtype/layout.js';
import { Plugin, type PluginInputs } from '../engine/plugin.js';
import { defineOptions } from '../engine/options.js';
import { EVENT_BASICS, EVENT_BASICS_FIELDS } from './event_basics.js';

export const EVENT_INFO = makeLayout([
  ...EVENT_BASICS_FIELDS,
  { title: 'Corrected S1 area [PE] (light yield)', name: 'cs1', typestr: '<f4' },
  { title: 'Corrected S2 area [PE] (electron lifetime)', name: 'cs2', typestr: '<f4' },
  { title: 'Combined energy scale [keV]', name: 'e_ces', typestr: '<f4' },
  { title: 'Light-only energy [keV]', name: 'e_light', typestr: '<f4' },
  { title: 'Charge-only energy [keV]', name: 'e_charge', typestr: '<f4' },
]);

/** Linear interpolation in a [[drift_ns, value], …] table (clamped at the ends). */
export function interpolate(table: Array<[number, number]>, x: number): number {
  if (table.length === 0) return 1;
  if (x <= table[0]![0]) return table[0]![1];
  for (let i = 1; i < table.length; i++) {
    const [x1, y1] = table[i]!;
    if (x <= x1) {
      const [x0, y0] = table[i - 1]!;
      return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return table[table.length - 1]![1];
}

const EVENT_INFO_OPTIONS = defineOptions({
  electron_lifetime: { type: 'float', default: 5_000_000, track: true, help: 'Electron lifetime [ns] for the S2 correction' },
  s1_relative_ly: { type: 'float', default: 1, track: true, help: 'Relative S1 light yield (when no map is given)' },
  s1_ly_map: { type: 'json', default: null, track: true, help: 'Relative S1 light yield vs drift time: [[drift_ns, ly], …]' },
  g1: { type: 'float', default: 0.15, track: true, help: 'Photon gain g1 [PE/photon]' },
  g2: { type: 'float', default: 16, track: true, help: 'Charge gain g2 [PE/electron]' },
  w_value: { type: 'float', default: 0.0137, track: true, help: 'Energy per quantum W [keV]' },
});

export class EventInfo extends Plugin<typeof EVENT_INFO_OPTIONS> {
  static override provides = 'event_info';
  static override dependsOn = ['event_basics'];
  static override dataKind = 'events';
  static override dtype = EVENT_INFO;
  static override version = '0.1.0';
  static override options = EVENT_INFO_OPTIONS;

  compute(inputs: PluginInputs): Uint8Array {
    const eb = inputs.event_basics!;
    const n = eb.length / EVENT_BASICS.itemsize;
    const v = new DataView(eb.buffer, eb.byteOffset, eb.byteLength);
    const out = new Uint8Array(n * EVENT_INFO.itemsize);
    const w = new DataView(out.buffer);
    const tau = this.config.electron_lifetime;
    const map = this.config.s1_ly_map as Array<[number, number]> | null;
    const ly = this.config.s1_relative_ly;
    const [g1, g2, W] = [this.config.g1, this.config.g2, this.config.w_value];
    const E = (name: string) => EVENT_BASICS.field(name).offset;
    const I = (name: string) => EVENT_INFO.field(name).offset;
    for (let i = 0; i < n; i++) {
      const s = i * EVENT_BASICS.itemsize;
      const d = i * EVENT_INFO.itemsize;
      out.set(eb.subarray(s, s + EVENT_BASICS.itemsize), d);
      const drift = Number(v.getBigInt64(s + E('drift_time'), true));
      const s1 = v.getFloat32(s + E('s1_area'), true);
      const s2 = v.getFloat32(s + E('s2_area'), true);
      const rel = map ? interpolate(map, drift) : ly;
      const cs1 = s1 / rel;
      const cs2 = drift >= 0 ? s2 * Math.exp(drift / tau) : NaN;
      w.setFloat32(d + I('cs1'), cs1, true);
      w.setFloat32(d + I('cs2'), cs2, true);
      w.setFloat32(d + I('e_light'), (W * cs1) / g1, true);
      w.setFloat32(d + I('e_charge'), (W * cs2) / g2, true);
      w.setFloat32(d + I('e_ces'), W * (cs1 / g1 + cs2 / g2), true);
    }
    return out;
  }
}
