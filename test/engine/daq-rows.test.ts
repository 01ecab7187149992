// Selection.sorted (strax.sort_by_time over the decoded files of a folder): a stable sort by (time, channel).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Selection, WORDS } from '../../src/strax/engine/daq-rows.js';

/** One decoded file: rows with the given (time, channel), as 32-bit words. */
function file(rows: ReadonlyArray<readonly [number, number]>): Int32Array {
  const w = new Int32Array(rows.length * WORDS);
  rows.forEach(([t, ch], r) => {
    w[r * WORDS] = t; // time lo (times here stay below 2^31)
    w[r * WORDS + 2] = 1; // length
    w[r * WORDS + 3] = 10 | (ch << 16); // dt | channel << 16
  });
  return w;
}

describe('Selection.sorted', () => {
  it('equals a stable sort by (time, channel), file order breaking ties, for sorted files (merged) and unsorted ones', () => {
    const row = fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 4 }));
    const files = fc.array(fc.tuple(fc.array(row, { maxLength: 25 }), fc.boolean()), { minLength: 1, maxLength: 40 })
      .map((fs) => fs.map(([rows, sortIt]) => (sortIt ? [...rows].sort((a, b) => a[0] - b[0] || a[1] - b[1]) : rows)));
    fc.assert(fc.property(files, (fs) => {
      const sel = Selection.of(fs.map(file), 'test').sorted();
      const expected = fs.flatMap((rows, p) => rows.map(([t, ch], r) => ({ t, ch, p, r })))
        .map((x, i) => ({ ...x, i }))
        .sort((a, b) => a.t - b.t || a.ch - b.ch || a.i - b.i);
      expect(Array.from({ length: sel.n }, (_, k) => [sel.part[k], sel.row[k]])).toEqual(expected.map((x) => [x.p, x.r]));
    }), { numRuns: 300, seed: 20261202 });
  });
});
