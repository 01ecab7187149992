// Deterministic synthetic strax rows for tests: time-sorted pulses with baseline noise, valid for any layout with time.
import type { RecordLayout } from '../../src/strax/dtype/layout.js';
import { RecordView } from '../../src/strax/dtype/rows.js';

export function synthRows(layout: RecordLayout, n: number, seed: number, t0 = 1712345678901234560n, spacing = 2000): Uint8Array {
  const bytes = new Uint8Array(n * layout.itemsize);
  const rv = new RecordView(layout, bytes);
  let s = seed >>> 0 || 1;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < n; i++) {
    rv.set(i, 'time', t0 + BigInt(i * spacing + Math.floor(rand() * 100)));
    if (layout.has('length')) rv.set(i, 'length', 50 + Math.floor(rand() * 50));
    if (layout.has('dt')) rv.set(i, 'dt', 10);
    if (layout.has('channel')) rv.set(i, 'channel', Math.floor(rand() * 16));
    if (layout.has('data')) {
      const f = layout.field('data');
      const peak = Math.floor(rand() * 60);
      for (let j = 0; j < f.count; j++) {
        const pulse = j >= peak && j < peak + 20 ? Math.round(80 * Math.exp(-(j - peak) / 5)) : 0;
        rv.set(i, 'data', pulse + Math.round((rand() - 0.5) * 6), j);
      }
    }
  }
  return bytes;
}
