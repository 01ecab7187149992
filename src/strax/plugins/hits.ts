// Hits: intervals of a record above a threshold (strax.find_hits), with integration bounds extended (3, 20) samples.
import { hitDtype, recordDtype } from '../dtype/standard.js';
import { Plugin, type PluginInputs } from '../engine/plugin.js';
import { defineOptions } from '../engine/options.js';

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

  compute(inputs: PluginInputs): Uint8Array {
    const rec = inputs.records!;
    const n = rec.length / REC.itemsize;
    const v = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    const thr = Number(this.config.hit_min_amplitude);
    const le = Number(this.config.hit_left_extension);
    const re = Number(this.config.hit_right_extension);
    let out = new Uint8Array(HIT.itemsize * Math.max(64, n >> 1));
    let dv = new DataView(out.buffer);
    let nh = 0;
    const keys: number[] = [];
    let t0 = 0n;
    for (let i = 0; i < n; i++) {
      const s = i * REC.itemsize;
      const time = v.getBigInt64(s, true);
      if (i === 0) t0 = time;
      const length = v.getInt32(s + 8, true);
      const dt = v.getInt16(s + 12, true);
      const ch = v.getInt16(s + 14, true);
      const fpart = v.getFloat32(s + 27, true) % 1;
      let j = 0;
      while (j < length) {
        if (v.getInt16(s + 37 + 2 * j, true) <= thr) {
          j++;
          continue;
        }
        const left = j;
        let area = 0;
        let height = -Infinity;
        let imax = j;
        while (j < length) {
          const x = v.getInt16(s + 37 + 2 * j, true);
          if (x <= thr) break;
          area += x + fpart;
          if (x > height) [height, imax] = [x, j];
          j++;
        }
        if ((nh + 1) * HIT.itemsize > out.length) {
          const b = new Uint8Array(out.length * 2);
          b.set(out);
          out = b;
          dv = new DataView(out.buffer);
        }
        const d = nh * HIT.itemsize;
        const ht = time + BigInt(left * dt);
        dv.setBigInt64(d, ht, true);
        dv.setInt32(d + 8, j - left, true);
        dv.setInt16(d + 12, dt, true);
        dv.setInt16(d + 14, ch, true);
        dv.setFloat32(d + 16, area, true);
        dv.setInt16(d + 20, left, true);
        dv.setInt16(d + 22, j, true);
        dv.setInt16(d + 24, Math.max(0, left - le), true);
        dv.setInt16(d + 26, Math.min(length, j + re), true);
        dv.setInt32(d + 28, i, true);
        dv.setFloat32(d + 32, thr, true);
        dv.setFloat32(d + 36, height, true);
        dv.setBigInt64(d + 40, time + BigInt(imax * dt), true);
        keys.push(Number(ht - t0) * 4096 + ch);
        nh++;
      }
    }
    return sortRows(out.subarray(0, nh * HIT.itemsize), HIT.itemsize, keys);
  }
}

/** Reorder packed rows by ascending key (stable). */
export function sortRows(rows: Uint8Array, size: number, keys: number[]): Uint8Array {
  let sorted = true;
  for (let i = 1; i < keys.length; i++) if (keys[i]! < keys[i - 1]!) { sorted = false; break; }
  if (sorted) return rows.slice();
  const order = Array.from(keys.keys()).sort((a, b) => keys[a]! - keys[b]! || a - b);
  const out = new Uint8Array(rows.length);
  for (let i = 0; i < order.length; i++) out.set(rows.subarray(order[i]! * size, (order[i]! + 1) * size), i * size);
  return out;
}
