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
  static override options = defineOptions({
    hit_min_amplitude: { type: 'int', default: 15, track: true, help: 'Hit threshold in ADC counts above baseline' },
    hit_left_extension: { type: 'int', default: 3, track: true, help: 'Samples integrated before a hit' },
    hit_right_extension: { type: 'int', default: 20, track: true, help: 'Samples integrated after a hit' },
  });

  // Scratch columns reused across calls (one plugin instance per thread).
  private recOf = new Int32Array(1 << 16);
  private left = new Int32Array(1 << 16);
  private right = new Int32Array(1 << 16);
  private imax = new Int32Array(1 << 16);
  private area = new Float64Array(1 << 16);
  private height = new Float64Array(1 << 16);
  private keys = new Float64Array(1 << 16);

  compute(inputs: PluginInputs): Uint8Array {
    const rec = inputs.records!;
    const n = rec.length / REC.itemsize;
    const v = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    const thr = Number(this.config.hit_min_amplitude);
    const le = Number(this.config.hit_left_extension);
    const re = Number(this.config.hit_right_extension);
    const size = REC.itemsize;
    const base = n > 0 ? readParts(v, 0) : { lo: 0, hi: 0 };
    let nh = 0;
    // Pass 1: find hits, one tight loop over the int16 samples of each row; hit facts go to scratch columns.
    for (let i = 0, s = 0; i < n; i++, s += size) {
      const length = v.getInt32(s + 8, true);
      const bl = v.getFloat32(s + 27, true);
      const fpart = bl - Math.trunc(bl); // bl % 1 without fmod
      const d0 = s + 37;
      let j = 0;
      while (j < length) {
        if (v.getInt16(d0 + 2 * j, true) <= thr) {
          j++;
          continue;
        }
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
        if (nh === this.keys.length) this.grow(nh + 1);
        this.recOf[nh] = i;
        this.left[nh] = left;
        this.right[nh] = j;
        this.imax[nh] = imax;
        this.area[nh] = area;
        this.height[nh] = height;
        this.keys[nh] = (relTime(v, s, base) + left * v.getInt16(s + 12, true)) * 4096 + v.getInt16(s + 14, true);
        nh++;
      }
    }
    // Pass 2: write the rows in (time, channel) order. Hit rows are 8-byte aligned in our own buffer.
    const order = sortedOrder(this.keys, nh);
    const out = new Uint8Array(nh * HIT.itemsize);
    const dv = new DataView(out.buffer);
    const i32 = new Int32Array(out.buffer);
    const i16 = new Int16Array(out.buffer);
    const f32 = new Float32Array(out.buffer);
    const t = { lo: 0, hi: 0 };
    for (let k = 0; k < nh; k++) {
      const h = order[k]!;
      const i = this.recOf[h]!;
      const s = i * size;
      const length = v.getInt32(s + 8, true);
      const dt = v.getInt16(s + 12, true);
      const left = this.left[h]!;
      const right = this.right[h]!;
      t.lo = v.getUint32(s, true);
      t.hi = v.getInt32(s + 4, true);
      const d = k * HIT.itemsize;
      writeTime(dv, d, t, left * dt);
      i32[(d + 8) >> 2] = right - left;
      i16[(d + 12) >> 1] = dt;
      i16[(d + 14) >> 1] = v.getInt16(s + 14, true);
      f32[(d + 16) >> 2] = this.area[h]!;
      i16[(d + 20) >> 1] = left;
      i16[(d + 22) >> 1] = right;
      i16[(d + 24) >> 1] = Math.max(0, left - le);
      i16[(d + 26) >> 1] = Math.min(length, right + re);
      i32[(d + 28) >> 2] = i;
      f32[(d + 32) >> 2] = thr;
      f32[(d + 36) >> 2] = this.height[h]!;
      writeTime(dv, d + 40, t, this.imax[h]! * dt);
    }
    return out;
  }

  private grow(n: number): void {
    this.recOf = growI32(this.recOf, n);
    this.left = growI32(this.left, n);
    this.right = growI32(this.right, n);
    this.imax = growI32(this.imax, n);
    this.area = growF64(this.area, n);
    this.height = growF64(this.height, n);
    this.keys = growF64(this.keys, n);
  }
}
