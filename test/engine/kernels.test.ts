// Hot-loop helpers of the reference plugins: exact int64 time arithmetic without BigInt, and the stable hit ordering.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readParts, relTime, sortedOrder, writeTime } from '../../src/strax/plugins/packed.js';

function reference(keys: number[]): number[] {
  return keys.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
}

describe('plugin kernels', () => {
  it('orders keys like a stable comparison sort on the radix path, the fallback and already sorted input', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const cases: number[][] = [
      Array.from({ length: 5000 }, () => Math.floor(rnd() * 2 ** 47)), // radix (integers below 2^48)
      Array.from({ length: 5000 }, () => Math.floor(rnd() * 50)), // many ties: stability
      Array.from({ length: 3000 }, () => rnd() * 100 - 50), // negative, fractional: comparison sort
      Array.from({ length: 1000 }, (_, i) => i * 3), // sorted
      [],
    ];
    for (const keys of cases) expect([...sortedOrder(Float64Array.from(keys), keys.length)]).toEqual(reference(keys));
  });

  it('orders integer keys of every width from 1 to 48 bits on the radix path: keys across 2^32, the largest ones, few and many', () => {
    // The radix sort splits each key into 32-bit halves and 16-bit digits: keys at 2^k − 1 and around 2^32 hit the
    // boundaries of both; a few keys to thousands, with ties.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 48 }).chain((bits) =>
          fc.array(fc.oneof(fc.double({ min: 0, max: 2 ** bits - 1, noNaN: true }).map(Math.floor), fc.constantFrom(0, 2 ** bits - 1, 2 ** Math.min(bits, 32) - 1)), { maxLength: 3000 }),
        ),
        (keys) => {
          expect([...sortedOrder(Float64Array.from(keys), keys.length)]).toEqual(reference(keys));
        },
      ),
      { numRuns: 300, seed: 20261202 },
    );
  });

  it('adds offsets to int64 times exactly across the 32-bit carry and back', () => {
    const buf = new Uint8Array(16);
    const v = new DataView(buf.buffer);
    const t0 = 1_700_000_000_123_456_789n;
    v.setBigInt64(0, t0, true);
    const base = readParts(v, 0);
    for (const off of [0, 1, 10, 4294967295, 4294967296 * 3 + 17, 123_456_789_012]) {
      writeTime(v, 8, base, off);
      expect(v.getBigInt64(8, true)).toBe(t0 + BigInt(off));
      expect(relTime(v, 8, base)).toBe(off);
    }
  });
});
