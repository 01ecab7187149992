// Records: baseline from the first samples of each pulse, flip and subtract, area, baseline_rms (strax.baseline).
import { rawRecordDtype, recordDtype } from '../dtype/standard.js';
import { Plugin, type PluginInputs } from '../engine/plugin.js';
import { defineOptions } from '../engine/options.js';

const RAW = rawRecordDtype(110);
const REC = recordDtype(110);

export class Records extends Plugin {
  static override provides = 'records';
  static override dependsOn = ['raw_records'];
  static override dtype = REC;
  static override version = '0.1.0';
  static override options = defineOptions({
    baseline_samples: { type: 'int', default: 40, track: true, help: 'Samples at the start of a pulse used for the baseline' },
  });

  compute(inputs: PluginInputs): Uint8Array {
    const raw = inputs.raw_records!;
    const n = raw.length / RAW.itemsize;
    const out = new Uint8Array(n * REC.itemsize);
    const src = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const dst = new DataView(out.buffer);
    const nb = Number(this.config.baseline_samples);
    const lastBl = new Map<number, [number, number]>();
    for (let i = 0; i < n; i++) {
      const s = i * RAW.itemsize;
      const d = i * REC.itemsize;
      out.set(raw.subarray(s, s + 22), d); // time, length, dt, channel, pulse_length, record_i: same offsets
      const length = src.getInt32(s + 8, true);
      const channel = src.getInt16(s + 14, true);
      const recordI = src.getInt16(s + 20, true);
      let bl: number;
      let rms: number;
      const prev = lastBl.get(channel);
      if (recordI === 0 || !prev) {
        const m = Math.max(1, Math.min(nb, length));
        let sum = 0;
        let sum2 = 0;
        for (let j = 0; j < m; j++) {
          const v = src.getInt16(s + 24 + 2 * j, true);
          sum += v;
          sum2 += v * v;
        }
        bl = sum / m;
        rms = Math.sqrt(Math.max(0, sum2 / m - bl * bl));
        lastBl.set(channel, [bl, rms]);
      } else [bl, rms] = prev;
      const ibl = Math.trunc(bl);
      let area = 0;
      for (let j = 0; j < length; j++) {
        const v = ibl - src.getInt16(s + 24 + 2 * j, true);
        dst.setInt16(d + 37 + 2 * j, v, true);
        area += v;
      }
      dst.setInt32(d + 22, area, true);
      dst.setFloat32(d + 27, bl, true);
      dst.setFloat32(d + 31, rms, true);
    }
    return out;
  }
}
