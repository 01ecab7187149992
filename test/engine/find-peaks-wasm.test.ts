// find_peaks in WebAssembly gives the JavaScript findPeaks' rows and hit intervals byte for byte: gap threshold,
// extensions, min area, min channels, max duration, the row room growing when every hit is a peak, and a hit in a
// channel without to_pe refused with the same error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { peakDtype } from '../../src/strax/dtype/standard.js';
import { TimeBase } from '../../src/strax/plugins/kernels/fields.js';
import { findPeaks, findPeaksInJs, type FindPeaksOptions } from '../../src/strax/plugins/kernels/find-peaks.js';
import { Hits } from '../../src/strax/plugins/hits.js';
import { ConfigError } from '../../src/errors.js';
import { T0, random, randomRecords } from './random-records.js';
import { recordDtype } from '../../src/strax/dtype/standard.js';

const REC = recordDtype(110);
const N_CHANNELS = 44;
const base = TimeBase.floor(T0 - 10_000_000n, 10);

/** Sorted hits of random records, channels 0…43. */
function hitsOf(seed: number, n: number): Uint8Array {
  const records = randomRecords(seed, n, 10);
  const rows = new RecordView(REC, records);
  for (let i = 0; i < n; i++) rows.set(i, 'channel', Number(rows.get(i, 'channel')) + 3);
  return new Hits({ hit_min_amplitude: 15, save_outside_hits_left: 30, save_outside_hits_right: 200 }).compute({ records }, { runId: '000123', start: base.value, end: T0 + 10_000_000_000n });
}

function bothWays(hits: Uint8Array, o: FindPeaksOptions): [{ rows: Uint8Array; start: Float64Array; end: Float64Array }, { rows: Uint8Array; start: Float64Array; end: Float64Array }] {
  const layout = peakDtype({ nChannels: o.toPe.length });
  const n = hits.length / 48;
  const run = (find: typeof findPeaks) => {
    const intervals = { start: new Float64Array(n), end: new Float64Array(n) };
    return { rows: find(hits, layout, base, o, intervals), ...intervals };
  };
  return [run(findPeaksInJs), run(findPeaks)];
}

describe('find_peaks in WebAssembly', () => {
  it('gives the JavaScript findPeaks’ rows and hit intervals byte for byte (property)', () => {
    let peaks = 0;
    fc.assert(
      fc.property(
        fc.integer(), fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }),
        fc.double({ min: 0, max: 50, noNaN: true }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 500, max: 200_000 }), fc.constantFrom(44, 47, 494),
        (seed, n, gapThreshold, leftExtension, rightExtension, minArea, minChannels, maxDuration, nChannels) => {
          const hits = hitsOf(seed, n);
          const rnd = random(seed);
          // Channel counts that are not multiples of 4 leave gaps between the aligned scratch arrays.
          const toPe = Float64Array.from({ length: nChannels }, () => (rnd() < 0.05 ? 0 : rnd() * 0.05));
          const [js, wasm] = bothWays(hits, { toPe, gapThreshold, leftExtension, rightExtension, minArea, minChannels, maxDuration });
          peaks += js.rows.length;
          expect(Buffer.from(wasm.rows).equals(Buffer.from(js.rows))).toBe(true);
          expect(Buffer.from(wasm.start.buffer).equals(Buffer.from(js.start.buffer))).toBe(true);
          expect(Buffer.from(wasm.end.buffer).equals(Buffer.from(js.end.buffer))).toBe(true);
        },
      ),
      { numRuns: 40, seed: 20261206 },
    );
    expect(peaks).toBeGreaterThan(0);
  });

  it('grows the room for rows when every hit is a peak', () => {
    const hits = hitsOf(7, 6000);
    const toPe = new Float64Array(N_CHANNELS).fill(0.01);
    const [js, wasm] = bothWays(hits, { toPe, gapThreshold: 1, leftExtension: 0, rightExtension: 0, minArea: 0, minChannels: 1, maxDuration: 1e9 });
    const layout = peakDtype({ nChannels: N_CHANNELS });
    expect(js.rows.length / layout.itemsize).toBeGreaterThan(hits.length / 48 / 4); // far beyond the first room (n / 64)
    expect(Buffer.from(wasm.rows).equals(Buffer.from(js.rows))).toBe(true);
  });

  it('refuses a hit in a channel without to_pe as the JavaScript does', () => {
    const hits = hitsOf(11, 500);
    const toPe = new Float64Array(N_CHANNELS - 10).fill(0.01); // channels 34…43 have none
    const layout = peakDtype({ nChannels: N_CHANNELS - 10 });
    const o = { toPe, gapThreshold: 700, leftExtension: 30, rightExtension: 200, minArea: 0, minChannels: 1, maxDuration: 1e7 };
    const js = (() => { try { findPeaksInJs(hits, layout, base, o); } catch (e) { return e; } })();
    const wasm = (() => { try { findPeaks(hits, layout, base, o); } catch (e) { return e; } })();
    expect(js).toBeInstanceOf(ConfigError);
    expect(wasm).toBeInstanceOf(ConfigError);
    expect((wasm as Error).message).toBe((js as Error).message);
  });
});
