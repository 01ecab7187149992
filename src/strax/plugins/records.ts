// Records: baseline from the first samples of each pulse, flip and subtract, area, baseline_rms (strax.baseline).
import { rawRecordDtype, recordDtype } from '../dtype/standard.js';
import { Plugin, type PluginInputs } from '../engine/plugin.js';
import { defineOptions } from '../engine/options.js';

const RAW = rawRecordDtype(110);
const REC = recordDtype(110);

const RECORDS_OPTIONS = defineOptions({
  baseline_samples: { type: 'int', default: 40, track: true, help: 'Samples at the start of a pulse used for the baseline' },
});

export class Records extends Plugin<typeof RECORDS_OPTIONS> {
  static override provides = 'records';
  static override dependsOn = ['raw_records'];
  static override dtype = REC;
  // As in straxen (PulseProcessing: save_when records=TARGET): records are as large as the raw data and cheap
  // to recompute, so they are stored only when asked for (a target, or ProcessOptions.save).
  static override saveWhen = 'target' as const;
  static override version = '0.1.0';
  /** zstd level 1: ~25 % less compression time than level 3 for ~14 % larger files (strax reads any level). */
  static override compressorLevel = 1;
  static override options = RECORDS_OPTIONS;

  // Last baseline per channel (index channel + 32768), valid where seen[] holds this call's stamp.
  private readonly blOf = new Float64Array(65536);
  private readonly rmsOf = new Float64Array(65536);
  private readonly seen = new Int32Array(65536);
  private call = 0;

  compute(inputs: PluginInputs): Uint8Array {
    const raw = inputs.raw_records!;
    const n = raw.length / RAW.itemsize;
    const out = new Uint8Array(n * REC.itemsize);
    const src = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const dst = new DataView(out.buffer);
    const nb = this.config.baseline_samples;
    if (++this.call === 0x7fffffff) this.seen.fill((this.call = 1) - 1);
    const call = this.call;
    // raw_records rows are 244 bytes with the samples at byte 24: an Int16Array view works when the buffer is even.
    const aligned = raw.byteOffset % 2 === 0;
    const raw16 = aligned ? new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength >> 1) : new Int16Array(0);
    const out16 = new Int16Array(out.buffer, 0, out.length >> 1);
    for (let i = 0, s = 0, d = 0; i < n; i++, s += RAW.itemsize, d += REC.itemsize) {
      // time, length, dt, channel, pulse_length, record_i: same offsets (22 bytes, copied as 5 × 4 + 2)
      for (let b = 0; b < 20; b += 4) dst.setUint32(d + b, src.getUint32(s + b, true), true);
      dst.setUint16(d + 20, src.getUint16(s + 20, true), true);
      const length = src.getInt32(s + 8, true);
      const c = src.getInt16(s + 14, true) + 32768;
      const recordI = src.getInt16(s + 20, true);
      let bl: number;
      let rms: number;
      if (recordI === 0 || this.seen[c] !== call) {
        const m = Math.max(1, Math.min(nb, length));
        let sum = 0;
        let sum2 = 0;
        for (let j = 0; j < m; j++) {
          const v = aligned ? raw16[(s >> 1) + 12 + j]! : src.getInt16(s + 24 + 2 * j, true);
          sum += v;
          sum2 += v * v;
        }
        bl = sum / m;
        rms = Math.sqrt(Math.max(0, sum2 / m - bl * bl));
        this.blOf[c] = bl;
        this.rmsOf[c] = rms;
        this.seen[c] = call;
      } else {
        bl = this.blOf[c]!;
        rms = this.rmsOf[c]!;
      }
      const ibl = Math.trunc(bl);
      let area = 0;
      if (aligned && ((d + 37) & 1) === 0) {
        // Even destination (every other row, 257-byte rows): write through an Int16Array view.
        for (let j = 0, k = (s >> 1) + 12, o = (d + 37) >> 1; j < length; j++, k++, o++) {
          const v = ibl - raw16[k]!;
          out16[o] = v;
          area += v;
        }
      } else if (aligned && length > 0) {
        // Odd destination: the even addresses hold (high byte of sample j−1, low byte of sample j), one 16-bit store each.
        const o = d + 37;
        const k0 = (s >> 1) + 12;
        let prev = ibl - raw16[k0]!;
        area += prev;
        out[o] = prev;
        for (let j = 1; j < length; j++) {
          const v = ibl - raw16[k0 + j]!;
          area += v;
          out16[(o + 2 * j - 1) >> 1] = ((prev >> 8) & 0xff) | ((v & 0xff) << 8);
          prev = v;
        }
        out[o + 2 * length - 1] = prev >> 8;
      } else {
        for (let j = 0; j < length; j++) {
          const v = ibl - src.getInt16(s + 24 + 2 * j, true);
          dst.setInt16(d + 37 + 2 * j, v, true);
          area += v;
        }
      }
      dst.setInt32(d + 22, area, true);
      dst.setFloat32(d + 27, bl, true);
      dst.setFloat32(d + 31, rms, true);
    }
    return out;
  }
}
