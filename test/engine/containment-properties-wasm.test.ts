// The peaklet recipe's set and property kernels in WebAssembly (wasm/containment.ts, wasm/peak-properties.ts) give
// what their JavaScript references give, byte for byte: the hits split by strax.fully_contained_in, the hitlet counts of
// strax.touching_windows, and strax.compute_properties (widths, deciles, median and centre time, area fraction top).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { hitDtype, peakDtype, recordDtype } from '../../src/strax/dtype/standard.js';
import { TimeBase } from '../../src/strax/plugins/kernels/fields.js';
import type { Intervals } from '../../src/strax/plugins/kernels/integration-bounds.js';
import { computeProperties, desiredFractions } from '../../src/strax/plugins/kernels/peak-properties.js';
import { fullyContainedIn, touchingCounts } from '../../src/strax/plugins/kernels/peaklet-recipe.js';
import { WasmRecords, partitionByContainment } from '../../src/strax/plugins/kernels/records-wasm.js';
import { T0, random, randomRecords } from './random-records.js';

const HIT = hitDtype();
const N_CHANNELS = 12;
const PEAK = peakDtype({ nChannels: N_CHANNELS });
const BASE = TimeBase.floor(T0, 10);

/** Sorted things and sorted, disjoint containers, many of them sharing ends and starts (the comparisons' edges). */
function intervals(seed: number, n: number, m: number): { things: Intervals; containers: Intervals } {
  const rnd = random(seed);
  const grid = () => Math.floor(rnd() * 40) * 10;
  const things = { start: new Float64Array(n), end: new Float64Array(n) };
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += rnd() < 0.3 ? 0 : grid();
    things.start[i] = t;
    things.end[i] = t + (rnd() < 0.1 ? 0 : grid() + 10);
  }
  const containers = { start: new Float64Array(m), end: new Float64Array(m) };
  let c = Math.floor(rnd() * 5) * 10; // on the things' grid: ends and starts meet exactly
  for (let i = 0; i < m; i++) {
    c += rnd() < 0.2 ? 0 : grid() * 3; // touching the previous container now and then
    containers.start[i] = c;
    c += rnd() < 0.05 ? 0 : grid() * 4 + 10;
    containers.end[i] = c;
  }
  return { things, containers };
}

/** The reference: partitionRows(fullyContainedIn(…)), written out with the marks. */
function partitionInJs(rows: Uint8Array, things: Intervals, containers: Intervals): { outside: Uint8Array; inside: Uint8Array } {
  const mark = fullyContainedIn(things, containers);
  const pick = (outside: boolean) => {
    const parts: Uint8Array[] = [];
    mark.forEach((c, i) => {
      if ((c === -1) === outside) parts.push(rows.subarray(i * HIT.itemsize, (i + 1) * HIT.itemsize));
    });
    return Buffer.concat(parts);
  };
  return { outside: pick(true), inside: pick(false) };
}

/** Some records in this thread's memory (the methods under test place their data after them). */
function loadedRecords(seed: number): WasmRecords {
  const wasm = WasmRecords.load(randomRecords(seed, 50, 10), recordDtype(110), BASE);
  expect(wasm).toBeDefined();
  return wasm!;
}

/** Random summed peaks: waveforms with zeros, negative samples and spikes; areas positive, zero or negative. */
function randomPeaks(seed: number, n: number): Uint8Array {
  const rnd = random(seed);
  const view = new RecordView(PEAK, new Uint8Array(n * PEAK.itemsize));
  let t = T0 + 1000n;
  for (let i = 0; i < n; i++) {
    const length = rnd() < 0.05 ? 0 : 1 + Math.floor(rnd() * 200);
    t += BigInt(Math.floor(rnd() * 100_000));
    view.set(i, 'time', t);
    view.set(i, 'length', length);
    view.set(i, 'dt', [1, 10, 30, 470][Math.floor(rnd() * 4)]!);
    let area = 0;
    for (let k = 0; k < length; k++) {
      const u = rnd();
      const x = u < 0.2 ? 0 : u < 0.3 ? -rnd() * 3 : u < 0.32 ? rnd() * 5000 : rnd() * 40;
      view.set(i, 'data', x, k);
      area += x;
    }
    const u = rnd();
    view.set(i, 'area', u < 0.05 ? 0 : u < 0.1 ? -Math.abs(area) : area * (0.9 + rnd() * 0.2));
    for (let c = 0; c < N_CHANNELS; c++) view.set(i, 'area_per_channel', rnd() * 100, c);
  }
  return view.bytes;
}

describe('the peaklet recipe’s set and property kernels in WebAssembly', () => {
  it('split hits by fully_contained_in as the JavaScript does, in order (property)', () => {
    let inside = 0;
    let outside = 0;
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 300 }), (seed, n, m) => {
        const { things, containers } = intervals(seed, n, m);
        const rnd = random(seed ^ 0x2545f491);
        const rows = Uint8Array.from({ length: n * HIT.itemsize }, () => Math.floor(rnd() * 256));
        const want = partitionInJs(rows, things, containers);
        const got = partitionByContainment(rows, HIT.itemsize, things, containers);
        expect(got).toBeDefined();
        expect(Buffer.from(got!.outside).equals(Buffer.from(want.outside))).toBe(true);
        expect(Buffer.from(got!.inside).equals(Buffer.from(want.inside))).toBe(true);
        inside += want.inside.length;
        outside += want.outside.length;
      }),
      { numRuns: 60, seed: 20261203 },
    );
    expect(inside).toBeGreaterThan(0); // both sides were exercised
    expect(outside).toBeGreaterThan(0);
  });

  it('count the things touching each container as touching_windows does, and leave containers out of end order to JavaScript (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 300 }), (seed, n, m) => {
        const { things, containers } = intervals(seed, n, m);
        const wasm = loadedRecords(seed);
        expect(Array.from(wasm.touchingCounts(things, containers)!)).toEqual(Array.from(touchingCounts(things, containers)));
        if (m >= 2) {
          // A container that ends after the next one: the kernel declines, so the caller sorts by end in JavaScript.
          const nested = { start: containers.start.slice(), end: containers.end.slice() };
          nested.end[0] = nested.end[m - 1]! + 1;
          expect(wasm.touchingCounts(things, nested)).toBeUndefined();
        }
      }),
      { numRuns: 60, seed: 20261203 },
    );
  });

  it('compute the peaks’ properties byte for byte as the JavaScript does, with and without a top array (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: N_CHANNELS }), (seed, n, nTop) => {
        const peaks = randomPeaks(seed, n);
        const want = peaks.slice();
        computeProperties(want, PEAK, BASE, nTop);
        const got = peaks.slice();
        const wasm = loadedRecords(seed);
        expect(wasm.properties(got, PEAK, desiredFractions(PEAK.field('width').count), nTop)).toBe(true);
        expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
        expect(Buffer.from(got).equals(Buffer.from(peaks))).toBe(false); // something was computed
        // Through computeProperties' own choice of WebAssembly, too.
        const viaWasm = peaks.slice();
        computeProperties(viaWasm, PEAK, BASE, nTop, wasm);
        expect(Buffer.from(viaWasm).equals(Buffer.from(want))).toBe(true);
      }),
      { numRuns: 40, seed: 20261203 },
    );
  });

  it('leave a peak whose length does not fit its waveform to the JavaScript, unchanged', () => {
    const peaks = randomPeaks(7, 5);
    const view = new RecordView(PEAK, peaks);
    view.set(3, 'length', 201);
    const before = peaks.slice();
    expect(loadedRecords(7).properties(peaks, PEAK, desiredFractions(PEAK.field('width').count), 0)).toBe(false);
    expect(Buffer.from(peaks).equals(Buffer.from(before))).toBe(true);
  });
});

