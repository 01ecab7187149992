// sum_waveform with its per-sample summing in WebAssembly gives the JavaScript summing's peaks byte for byte: float32
// rounding of every sample (`f32(f32(x·2^shift + baseline % 1)·to_pe)`), the waveforms, area per channel, the top
// array and saturation, on random records whose hits reach far back and forth through the record window.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { peakDtype, recordDtype } from '../../src/strax/dtype/standard.js';
import { TimeBase } from '../../src/strax/plugins/kernels/fields.js';
import { findPeaks } from '../../src/strax/plugins/kernels/find-peaks.js';
import { WasmRecords } from '../../src/strax/plugins/kernels/records-wasm.js';
import { recordLinks } from '../../src/strax/plugins/kernels/record-links.js';
import { findHitIntegrationBounds } from '../../src/strax/plugins/kernels/integration-bounds.js';
import { sumWaveform } from '../../src/strax/plugins/kernels/sum-waveform.js';
import { Hits } from '../../src/strax/plugins/hits.js';
import { Peaklets } from '../../src/strax/plugins/peaklets.js';
import { Peaks } from '../../src/strax/plugins/peaks.js';
import { instantiate } from '../../src/strax/engine/plugin.js';
import { buildPeaklets, toHitlets } from '../../src/strax/plugins/kernels/peaklet-recipe.js';
import { HIT } from '../../src/strax/plugins/kernels/find-hits.js';
import type { GofLine } from '../../src/strax/plugins/kernels/natural-breaks.js';
import { T0, random, randomRecords } from './random-records.js';

const REC = recordDtype(110);
const N_CHANNELS = 40;

/**
 * Random records with channels 0…39, and a few baselines low enough that pulses saturate; `linked`: about a third of
 * the records continue the pulse of the record before them (same channel, record_i + 1, right after it), so that
 * hitlets reach into the previous and next record (and a few records right after another that start a new pulse).
 */
function recordsFor(seed: number, n: number, linked = false): Uint8Array {
  const records = randomRecords(seed, n, 10);
  const rows = new RecordView(REC, records);
  const rnd = random(seed ^ 0x5bd1e995);
  for (let i = 0; i < n; i++) {
    rows.set(i, 'channel', (Number(rows.get(i, 'channel')) + 3) % N_CHANNELS);
    if (rnd() < 0.05) rows.set(i, 'baseline', 150 + rnd());
    if (linked && i > 0 && rnd() < 0.35) {
      rows.set(i - 1, 'length', 110);
      rows.set(i, 'channel', rows.get(i - 1, 'channel'));
      // Now and then a new pulse that starts right where the last one ended: record_i 0, so not linked.
      rows.set(i, 'record_i', rnd() < 0.2 ? 0 : Number(rows.get(i - 1, 'record_i')) + 1);
      rows.set(i, 'time', (rows.get(i - 1, 'time') as bigint) + 1100n);
    }
  }
  return records;
}

const defaults = (cls: { options: Record<string, { default: unknown }> }) => Object.fromEntries(Object.entries(cls.options).map(([k, o]) => [k, o.default]));

/** Hits → Peaklets → Peaks on the records, with the records in WebAssembly memory or not; the three products' rows. */
function chain(records: Uint8Array, toPe: number[], nTop: number, inWasm: boolean): Uint8Array[] {
  const range = { runId: '000123', start: T0 - 10_000_000n, end: T0 + 10_000_000_000n };
  const hits = new Hits({ hit_min_amplitude: 15, save_outside_hits_left: 30, save_outside_hits_right: 200 }).compute({ records }, range);
  const config = { n_tpc_pmts: N_CHANNELS, n_top_pmts: nTop, pmt_to_pe: toPe };
  const load = inWasm ? vi.spyOn(WasmRecords, 'load') : vi.spyOn(WasmRecords, 'load').mockReturnValue(undefined);
  const peaklets = instantiate(Peaklets, { ...defaults(Peaklets), ...config }).compute({ records, hits }, range);
  const peaks = instantiate(Peaks, { ...defaults(Peaks), ...config, s2_merge_gap_threshold: 20_000 }).compute({ peaklets, records, hits }, range);
  // The recipe's hitlets (rows built from the columns and order it sorted them in) and its lone hits.
  const recipe = peakletRecipe(records, hits, toPe, nTop, range);
  expect(load).toHaveBeenCalled();
  expect(load.mock.results.every((r) => r.type === 'return' && (r.value !== undefined) === inWasm)).toBe(true);
  load.mockRestore();
  return [hits, peaklets, peaks, recipe.hitlets, recipe.loneHits];
}

/** buildPeaklets as straxen's Peaklets calls it, in a chunk just around the hits (lone hits kept). */
function peakletRecipe(records: Uint8Array, hits: Uint8Array, toPe: number[], nTop: number, range: { start: bigint; end: bigint }) {
  const base = TimeBase.floor(range.start, 10);
  const [, s1Line, s2Line] = defaults(Peaklets).peak_split_gof_threshold as [null, GofLine, GofLine];
  // A chunk just around the hits, so that hitlets (whose windows reach 30 ns before a hit and 200 ns after) are clipped
  // at both ends, as the engine's chunks clip them.
  const h = new RecordView(HIT, hits);
  let [first, last] = [Infinity, -Infinity];
  for (let i = 0; i < h.length; i++) {
    const t = base.relOf(h.get(i, 'time') as bigint);
    first = Math.min(first, t);
    last = Math.max(last, t + Number(h.get(i, 'length')) * 10);
  }
  const clip = h.length > 0 ? { start: first - 10, end: last + 50 } : { start: 0, end: base.relOf(range.end) };
  return buildPeaklets(records, REC, hits, peakDtype({ nChannels: N_CHANNELS }), base, clip, {
    find: { toPe: Float64Array.from(toPe), gapThreshold: 700, leftExtension: 30, rightExtension: 200, minArea: 0, minChannels: 1, maxDuration: 10_000_000 },
    split: { s1Line, s2Line, splitLow: true, filterWingWidth: 7, minArea: 40, iterations: 2, nTopChannels: nTop },
    saveOutsideHits: [30, 200],
  });
}

/** `halve`: a quarter cut off each end of every peak, so that hits stick out of both ends (saturation counts those samples too). */
function summed(records: Uint8Array, toPe: Float64Array, nTopChannels: number, storeDataTop: boolean, halve: boolean, inWasm: boolean): Uint8Array {
  const base = TimeBase.floor(T0 - 5000n, 10);
  const hits = new Hits({ hit_min_amplitude: 15, save_outside_hits_left: 30, save_outside_hits_right: 200 }).compute({ records }, { runId: '000123', start: base.value, end: T0 + 10_000_000_000n });
  const layout = peakDtype({ nChannels: N_CHANNELS });
  const peaks = findPeaks(hits, layout, base, { toPe, gapThreshold: 700, leftExtension: 30, rightExtension: 200, minArea: 0, minChannels: 1, maxDuration: 1e7 });
  if (halve) {
    const rows = new RecordView(layout, peaks);
    for (let i = 0; i < rows.length; i++) {
      const length = Number(rows.get(i, 'length'));
      const quarter = Math.floor(length / 4);
      rows.set(i, 'time', (rows.get(i, 'time') as bigint) + BigInt(quarter * Number(rows.get(i, 'dt'))));
      rows.set(i, 'length', Math.max(1, length - 2 * quarter));
    }
  }
  const spy = inWasm ? vi.spyOn(WasmRecords, 'load') : vi.spyOn(WasmRecords, 'load').mockReturnValue(undefined);
  sumWaveform(peaks, layout, hits, records, REC, base, { toPe, links: recordLinks(records, REC, base), nTopChannels, storeDataTop, storeDataStart: true });
  expect(spy.mock.results.every((r) => r.type === 'return' && (r.value !== undefined) === inWasm)).toBe(true);
  spy.mockRestore();
  return peaks;
}

describe('sum_waveform summing in WebAssembly', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives the JavaScript summing’s peaks byte for byte on random records (property)', () => {
    let saturatedPeaks = 0;
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 6000 }), fc.integer({ min: 0, max: N_CHANNELS }), fc.boolean(), fc.boolean(), (seed, n, nTop, storeDataTop, halve) => {
        const records = recordsFor(seed, n);
        const rnd = random(seed);
        const toPe = Float64Array.from({ length: N_CHANNELS }, () => 0.0005 + rnd() * 0.02);
        const want = summed(records, toPe, nTop, storeDataTop, halve, false);
        const got = summed(records, toPe, nTop, storeDataTop, halve, true);
        const view = new RecordView(peakDtype({ nChannels: N_CHANNELS }), want);
        for (let i = 0; i < view.length; i++) if (Number(view.get(i, 'n_saturated_channels')) > 0) saturatedPeaks++;
        expect(view.length).toBeGreaterThan(0);
        expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
      }),
      { numRuns: 30, seed: 20261203 },
    );
    expect(saturatedPeaks).toBeGreaterThan(0); // the saturation test was exercised, not only the sums
  });

  it('gives the JavaScript kernels’ peaklets and peaks byte for byte through the whole recipe, hitlets leaving their records (property)', () => {
    let crossing = 0;
    let merged = 0;
    let hitlets = 0;
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: N_CHANNELS }), (seed, n, nTop) => {
        const records = recordsFor(seed, n, true);
        const rnd = random(seed ^ 0x1b873593);
        const toPe = Array.from({ length: N_CHANNELS }, () => 0.0005 + rnd() * 0.02);
        const want = chain(records, toPe, nTop, false);
        const got = chain(records, toPe, nTop, true);
        const links = recordLinks(records, REC, TimeBase.floor(T0 - 10_000_000n, 10));
        crossing += links.prev.filter((j) => j >= 0).length;
        merged += new RecordView(peakDtype({ nChannels: N_CHANNELS }), want[2]!).length < new RecordView(peakDtype({ nChannels: N_CHANNELS }), want[1]!).length ? 1 : 0;
        got.forEach((rows, k) => expect(Buffer.from(rows).equals(Buffer.from(want[k]!)), ['hits', 'peaklets', 'peaks', 'hitlets', 'lone hits'][k]).toBe(true));
        hitlets += want[3]!.length / 48;
      }),
      { numRuns: 25, seed: 20261204 },
    );
    expect(crossing).toBeGreaterThan(1000); // records were linked, so hitlets could leave them
    expect(merged).toBeGreaterThan(0); // Peaks re-summed merged peaklets
    expect(hitlets).toBeGreaterThan(1000);
  });

  it('gives the same hitlet and lone hit rows when they are asked for after other records were loaded (the hits kept in memory are gone then)', () => {
    let hitlets = 0;
    for (const seed of [3, 17, 4242]) {
      const records = recordsFor(seed, 3000, true);
      const rnd = random(seed ^ 0x1b873593);
      const toPe = Array.from({ length: N_CHANNELS }, () => 0.0005 + rnd() * 0.02);
      const range = { runId: '000123', start: T0 - 10_000_000n, end: T0 + 10_000_000_000n };
      const hits = new Hits({ hit_min_amplitude: 15, save_outside_hits_left: 30, save_outside_hits_right: 200 }).compute({ records }, range);
      const [atOnce, later] = [peakletRecipe(records, hits, toPe, 4, range), peakletRecipe(records, hits, toPe, 4, range)];
      const [rows, lone] = [atOnce.hitlets, atOnce.loneHits];
      WasmRecords.load(recordsFor(seed + 1, 500, true), REC, TimeBase.floor(T0, 10)); // other records replace the kept hits
      expect(Buffer.from(later.hitlets).equals(Buffer.from(rows))).toBe(true);
      expect(Buffer.from(later.loneHits).equals(Buffer.from(lone))).toBe(true);
      hitlets += rows.length / HIT.itemsize;
    }
    expect(hitlets).toBeGreaterThan(100);
  });

  it('finds the integration bounds JavaScript finds, inside records or beyond them, around excluded intervals (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 4000 }), fc.boolean(), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), (seed, n, beyond, left, right) => {
        const records = recordsFor(seed, n, true);
        const base = TimeBase.floor(T0 - 10_000_000n, 10);
        const hits = new Hits({ hit_min_amplitude: 15, save_outside_hits_left: 0, save_outside_hits_right: 0 }).compute({ records }, { runId: '000123', start: base.value, end: T0 + 10_000_000_000n });
        // Excluded intervals: random disjoint stretches over the hits' span.
        const rnd = random(seed ^ 0x27d4eb2d);
        const start: number[] = [];
        const end: number[] = [];
        for (let t = 9_995_000 + rnd() * 5000; t < 10_000_000 + n * 700; t += 500 + rnd() * 5000) {
          start.push(Math.floor(t));
          end.push(Math.floor(t + rnd() * 3000));
          t = end[end.length - 1]!;
        }
        const excluded = { start: Float64Array.from(start), end: Float64Array.from(end) };
        const options = { saveOutsideHits: [left, right] as const, excluded, allowBeyondRecords: beyond };
        const inJs = hits.slice();
        findHitIntegrationBounds(inJs, records, REC, base, options);
        const inWasm = hits.slice();
        const wasm = WasmRecords.load(records, REC, base)!;
        expect(wasm).toBeDefined();
        findHitIntegrationBounds(inWasm, records, REC, base, { ...options, wasm });
        expect(Buffer.from(inWasm).equals(Buffer.from(inJs))).toBe(true);
        expect(Buffer.from(inJs).equals(Buffer.from(hits))).toBe(false); // the bounds were set
      }),
      { numRuns: 40, seed: 20261205 },
    );
  });

  it('makes the JavaScript hitlets (columns, order, rows) from hits with windows beyond their records, clipped to a chunk (property)', () => {
    let clipped = 0;
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (seed, n, cutStart, cutEnd) => {
        const records = recordsFor(seed, n, true);
        const base = TimeBase.floor(T0 - 10_000_000n, 10);
        const hits = new Hits({ hit_min_amplitude: 15, save_outside_hits_left: 0, save_outside_hits_right: 0 }).compute({ records }, { runId: '000123', start: base.value, end: T0 + 10_000_000_000n });
        findHitIntegrationBounds(hits, records, REC, base, { saveOutsideHits: [300, 2000], allowBeyondRecords: true });
        // A chunk that cuts up to 100 ns into the first and last hitlets' windows.
        const h = new RecordView(HIT, hits);
        let [first, last] = [Infinity, -Infinity];
        for (let i = 0; i < h.length; i++) {
          const t = base.relOf(h.get(i, 'time') as bigint);
          first = Math.min(first, t - 300);
          last = Math.max(last, t + Number(h.get(i, 'length')) * 10 + 2000);
        }
        const clip = { start: first + cutStart, end: last - cutEnd };
        const js = toHitlets(hits, base, clip);
        const wasm = toHitlets(hits, base, clip, WasmRecords.load(records, REC, base)!);
        for (const k of ['time', 'end', 'length', 'record', 'leftIntegration', 'rightIntegration', 'channel'] as const) {
          expect(Buffer.from(wasm.columns[k].buffer).equals(Buffer.from(js.columns[k].buffer)), k).toBe(true);
        }
        expect(wasm.columns.maxLength).toBe(js.columns.maxLength);
        expect(Buffer.from(wasm.rows()).equals(Buffer.from(js.rows()))).toBe(true);
        if (h.length > 0 && (js.columns.time[0] === clip.start || js.columns.end.some((e) => e > clip.end - 10))) clipped++;
      }),
      { numRuns: 30, seed: 20261207 },
    );
    expect(clipped).toBeGreaterThan(5);
  });

  it('flags saturation from a sample of the hit that lies before the peak starts, in both summings', () => {
    // One record, baseline 100.5 (int16: 100): the hit spans samples 2–9, and its only sample reaching 100 is the first.
    // A peak that starts at sample 5 still sees the channel saturate (strax takes the maximum over the hit's samples in
    // the record, not only over those inside the peak), and sums only samples 5–9.
    const rows = new RecordView(REC, new Uint8Array(REC.itemsize));
    rows.set(0, 'time', T0);
    rows.set(0, 'length', 20);
    rows.set(0, 'dt', 10);
    rows.set(0, 'channel', 3);
    rows.set(0, 'pulse_length', 20);
    rows.set(0, 'baseline', 100.5);
    [120, 30, 40, 50, 40, 30, 20, 16].forEach((x, k) => rows.set(0, 'data', x, 2 + k));
    const base = TimeBase.floor(T0, 10);
    const hits = new Hits({ hit_min_amplitude: 15, save_outside_hits_left: 0, save_outside_hits_right: 0 }).compute({ records: rows.bytes }, { runId: '000123', start: T0, end: T0 + 1000n });
    expect(hits.length / 48).toBe(1);
    const layout = peakDtype({ nChannels: 4 });
    const toPe = Float64Array.from([0.01, 0.01, 0.01, 0.01]);
    const sums = [false, true].map((inWasm) => {
      const peaks = new RecordView(layout, new Uint8Array(layout.itemsize));
      peaks.set(0, 'time', T0 + 50n);
      peaks.set(0, 'length', 10);
      peaks.set(0, 'dt', 10);
      const spy = inWasm ? vi.spyOn(WasmRecords, 'load') : vi.spyOn(WasmRecords, 'load').mockReturnValue(undefined);
      sumWaveform(peaks.bytes, layout, hits, rows.bytes, REC, base, { toPe, links: recordLinks(rows.bytes, REC, base) });
      expect(spy.mock.results.every((r) => r.type === 'return' && (r.value !== undefined) === inWasm)).toBe(true);
      spy.mockRestore();
      expect(peaks.values(0, 'saturated_channel').map(Number)).toEqual([0, 0, 0, 1]);
      expect(Number(peaks.get(0, 'n_saturated_channels'))).toBe(1);
      return peaks.bytes;
    });
    expect(Buffer.from(sums[1]!).equals(Buffer.from(sums[0]!))).toBe(true);
  });
});
