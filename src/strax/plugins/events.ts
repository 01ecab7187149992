// Events: windows around S2 triggers above an area threshold, extended by the max drift time and margins, overlaps merged.
import { makeLayout } from '../dtype/layout.js';
import { Plugin, type ChunkRange, type PluginConfig, type PluginInputs } from '../engine/plugin.js';
import { defineOptions } from '../engine/options.js';
import { PEAK_BASICS } from './peak_basics.js';

export const EVENTS = makeLayout([
  { title: 'Event number in this dataset', name: 'event_number', typestr: '<i8' },
  { title: 'Event start time (ns since unix epoch)', name: 'time', typestr: '<i8' },
  { title: 'Event end time (ns since unix epoch)', name: 'endtime', typestr: '<i8' },
  { title: 'Number of S2 triggers in the event', name: 'n_triggers', typestr: '<i4' },
]);

const EVENTS_OPTIONS = defineOptions({
  trigger_min_area: { type: 'float', default: 100, track: true, help: 'S2s above this area [PE] trigger an event' },
  max_drift_time: { type: 'int', default: 2_300_000, track: true, help: 'Longest electron drift time [ns]; events start this much before the trigger' },
  left_event_extension: { type: 'int', default: 250_000, track: true, help: 'Extra window before trigger − max drift [ns]' },
  right_event_extension: { type: 'int', default: 250_000, track: true, help: 'Extra window after the trigger ends [ns]' },
});

export class Events extends Plugin<typeof EVENTS_OPTIONS> {
  static override provides = 'events';
  static override dependsOn = ['peak_basics'];
  static override dtype = EVENTS;
  static override version = '0.2.0';
  /** event_number counts events over the whole run: the engine numbers the rows in segment order. */
  static override numberedField = 'event_number';
  /** As straxen's Events: an event looks max_drift_time back from its trigger, so events straddle segment boundaries. */
  static override overlapWindow = (c: PluginConfig) => 10 * (Number(c.max_drift_time) + Number(c.left_event_extension) + Number(c.right_event_extension));
  static override options = EVENTS_OPTIONS;

  compute(inputs: PluginInputs, range: ChunkRange): Uint8Array {
    const pb = inputs.peak_basics!;
    const n = pb.length / PEAK_BASICS.itemsize;
    const v = new DataView(pb.buffer, pb.byteOffset, pb.byteLength);
    const left = BigInt(this.config.max_drift_time + this.config.left_event_extension);
    const right = BigInt(this.config.right_event_extension);
    const minArea = this.config.trigger_min_area;
    const windows: Array<[bigint, bigint, number]> = [];
    for (let i = 0; i < n; i++) {
      const s = i * PEAK_BASICS.itemsize;
      if (v.getInt8(s + PEAK_BASICS.field('type').offset) !== 2) continue;
      if (!(v.getFloat32(s + PEAK_BASICS.field('area').offset, true) > minArea)) continue;
      let a = v.getBigInt64(s, true) - left;
      let b = v.getBigInt64(s + PEAK_BASICS.field('endtime').offset, true) + right;
      if (a < range.start) a = range.start;
      if (b > range.end) b = range.end;
      const last = windows[windows.length - 1];
      if (last && a <= last[1]) {
        if (b > last[1]) last[1] = b;
        last[2]++;
      } else windows.push([a, b, 1]);
    }
    const out = new Uint8Array(windows.length * EVENTS.itemsize);
    const w = new DataView(out.buffer);
    const [T, E, N] = ['time', 'endtime', 'n_triggers'].map((f) => EVENTS.field(f).offset) as [number, number, number];
    windows.forEach(([a, b, k], i) => {
      const o = i * EVENTS.itemsize;
      w.setBigInt64(o + T, a, true);
      w.setBigInt64(o + E, b, true);
      w.setInt32(o + N, k, true);
    });
    return out;
  }
}
