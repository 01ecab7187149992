// Hits: intervals of a record above a threshold (strax.find_hits), with integration bounds extended (3, 20) samples.
import { hitDtype, recordDtype } from '../dtype/standard.js';
import { Plugin, type PluginInputs } from '../engine/plugin.js';
import { defineOptions } from '../engine/options.js';
import { growF64, growI32, readParts, relTime, sortedOrder, writeTime } from './packed.js';

const REC = recordDtype(110);
const HIT = hitDtype();

export class Hits extends Plugin {
  static override provides = 'hits';
  static override dependsOn = ['records'];
  static override dtype = HIT;
  static override version = '0.1.0';
  /** record_i is the index of the hit's record in the records of the same compute call. */
  static override rowReference = { field: 'record_i', into: 'records' };
  /** zstd level 1: hit rows compress 2.7× faster than at level 3 for 1–2 % larger files. */
  static override compressorLevel = 1;
  static override options = defineOptions({
    hit_min_amplitude: { type: 'int', default: 15, track: true, help: 'Hit threshold in ADC counts above baseline' },
    hit_left_extension: { type: 'int', default: 3, track: true, help: 'Samples integrated before a hit' },
    hit_right_extension: { type: 'int', default: 20, track: true, help: 'Samples integrated after a hit' },
  });

  // Unsorted hit rows and their sort keys, reused across calls (one plugin instance per thread).
  private tmp = new Int32Array(12 * 4096);
  private keys = new Float64Array(4096);

  compute(inputs: PluginInputs): Uint8Array {
    const rec = inputs.records!;
    // Two separate loops in two functions: each is optimised as a whole after its first call instead of being
    // re-compiled (on-stack replacement, then deopts past the loop) in every worker isolate.
    const nh = this.findHits(rec);
    return permuteRows(this.tmp, sortedOrder(this.keys, nh), nh);
  }

  /** Pass 1: one tight loop over the int16 samples of each row; hit rows are written in record order to `tmp`. */
  private findHits(rec: Uint8Array): number {
    const n = rec.length / REC.itemsize;
    const v = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    const thr = Number(this.config.hit_min_amplitude);
    const le = Number(this.config.hit_left_extension);
    const re = Number(this.config.hit_right_extension);
    const size = REC.itemsize;
    const base = n > 0 ? readParts(v, 0) : { lo: 0, hi: 0 };
    const t = { lo: 0, hi: 0 };
    let nh = 0;
    if (this.keys.length < 2 * n) {
      // Room for two hits per record up front, so the loop rarely has to grow (a path the JIT has not seen).
      this.keys = growF64(this.keys, 2 * n);
      this.tmp = growI32(this.tmp, 12 * this.keys.length);
    }
    let tmp = this.tmp;
    let tv = new DataView(tmp.buffer);
    let t16 = new Int16Array(tmp.buffer);
    let f32 = new Float32Array(tmp.buffer);
    for (let i = 0, s = 0; i < n; i++, s += size) {
      const length = v.getInt32(s + 8, true);
      const d0 = s + 37;
      let j = 0;
      while (j < length) {
        // Skip quiet samples two at a time (one 32-bit read: low half = sample j, high half = sample j + 1).
        if (j + 1 < length) {
          const pair = v.getInt32(d0 + 2 * j, true);
          if (((pair << 16) >> 16) <= thr) {
            if (pair >> 16 <= thr) {
              j += 2;
              continue;
            }
            j++; // the hit starts at the high sample
          }
        } else if (v.getInt16(d0 + 2 * j, true) <= thr) {
          j++;
          continue;
        }
        const bl = v.getFloat32(s + 27, true);
        const fpart = bl - Math.trunc(bl); // bl % 1 without fmod
        const left = j;
        let area = 0;
        let height = -Infinity;
        let imax = j;
        while (j < length) {
          const x = v.getInt16(d0 + 2 * j, true);
          if (x <= thr) break;
          area += x + fpart;
          if (x > height) {
            height = x;
            imax = j;
          }
          j++;
        }
        if (nh === this.keys.length) {
          this.keys = growF64(this.keys, nh + 1);
          this.tmp = tmp = growI32(tmp, 12 * this.keys.length);
          tv = new DataView(tmp.buffer);
          t16 = new Int16Array(tmp.buffer);
          f32 = new Float32Array(tmp.buffer);
        }
        const dt = v.getInt16(s + 12, true);
        const ch = v.getInt16(s + 14, true);
        t.lo = v.getUint32(s, true);
        t.hi = v.getInt32(s + 4, true);
        const d = nh * HIT.itemsize;
        writeTime(tv, d, t, left * dt);
        tmp[(d + 8) >> 2] = j - left;
        t16[(d + 12) >> 1] = dt;
        t16[(d + 14) >> 1] = ch;
        f32[(d + 16) >> 2] = area;
        t16[(d + 20) >> 1] = left;
        t16[(d + 22) >> 1] = j;
        t16[(d + 24) >> 1] = Math.max(0, left - le);
        t16[(d + 26) >> 1] = Math.min(length, j + re);
        tmp[(d + 28) >> 2] = i;
        f32[(d + 32) >> 2] = thr;
        f32[(d + 36) >> 2] = height;
        writeTime(tv, d + 40, t, imax * dt);
        this.keys[nh] = (relTime(v, s, base) + left * dt) * 4096 + ch;
        nh++;
      }
    }
    return nh;
  }

}

/** Pass 2: the hit rows (12 int32 words each) in sorted order; runs already in order are copied in one go. */
function permuteRows(tmp: Int32Array, order: Int32Array, nh: number): Uint8Array {
  const out = new Int32Array(nh * 12);
  for (let k = 0; k < nh; ) {
    const h = order[k]!;
    let run = 1;
    while (k + run < nh && order[k + run] === h + run) run++;
    if (run >= 4) out.set(tmp.subarray(h * 12, (h + run) * 12), k * 12);
    else for (let q = 0; q < run; q++) for (let w = 0; w < 12; w++) out[(k + q) * 12 + w] = tmp[(h + q) * 12 + w]!;
    k += run;
  }
  return new Uint8Array(out.buffer);
}
