// Random records for properties of the kernels: noise with pulses, some records shorter than their data field,
// channels −3…40, times near T0 that jump back and forth, baselines with fractional parts, amplitude bit shifts 0–2.
import { RecordView } from '../../src/strax/dtype/rows.js';
import { recordDtype } from '../../src/strax/dtype/standard.js';

const REC = recordDtype(110);
export const T0 = 1_712_345_678_901_234_560n;

/** A small seeded generator (mulberry32), so that thousands of records come from one fast-check integer. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` records of noise with pulses, some shorter than their data field, channels −3…40, times near T0. */
export function randomRecords(seed: number, n: number, dt: number): Uint8Array {
  const rnd = random(seed);
  const rows = new RecordView(REC, new Uint8Array(n * REC.itemsize));
  let t = T0;
  for (let i = 0; i < n; i++) {
    const length = rnd() < 0.8 ? 110 : Math.floor(rnd() * 111);
    t += BigInt(Math.floor(rnd() * 3 * 110 * dt)) - BigInt(110 * dt);
    rows.set(i, 'time', t);
    rows.set(i, 'length', length);
    rows.set(i, 'dt', dt);
    rows.set(i, 'channel', Math.floor(rnd() * 44) - 3);
    rows.set(i, 'baseline', (rnd() - 0.3) * 17000);
    rows.set(i, 'amplitude_bit_shift', rnd() < 0.9 ? 0 : Math.floor(rnd() * 3));
    for (let j = 0; j < 110; j++) {
      const u = rnd();
      const x = u < 0.002 ? (rnd() < 0.5 ? -32768 : 32767) : u < 0.15 ? Math.floor(rnd() * 400) : Math.floor(rnd() * 21) - 10;
      rows.set(i, 'data', x, j);
    }
  }
  return rows.bytes;
}

