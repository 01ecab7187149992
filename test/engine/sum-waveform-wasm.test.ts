// sum_waveform with its per-sample summing in WebAssembly gives the JavaScript summing's peaks byte for byte: float32
// rounding of every sample (`f32(f32(x·2^shift + baseline % 1)·to_pe)`), the waveforms, area per channel, the top
// array and saturation, on random records whose hits reach far back and forth through the record window.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { peakDtype, recordDtype } from '../../src/strax/dtype/standard.js';
import { TimeBase } from '../../src/strax/plugins/kernels/fields.js';
import { findPeaks } from '../../src/strax/plugins/kernels/find-peaks.js';
import { WasmHitSummer } from '../../src/strax/plugins/kernels/hit-samples-wasm.js';
import { recordLinks } from '../../src/strax/plugins/kernels/record-links.js';
import { sumWaveform } from '../../src/strax/plugins/kernels/sum-waveform.js';
import { Hits } from '../../src/strax/plugins/hits.js';
import { T0, random, randomRecords } from './random-records.js';

const REC = recordDtype(110);
const N_CHANNELS = 40;

/** Random records with channels 0…39, and a few baselines low enough that pulses saturate. */
function recordsFor(seed: number, n: number): Uint8Array {
  const records = randomRecords(seed, n, 10);
  const rows = new RecordView(REC, records);
  const rnd = random(seed ^ 0x5bd1e995);
  for (let i = 0; i < n; i++) {
    rows.set(i, 'channel', (Number(rows.get(i, 'channel')) + 3) % N_CHANNELS);
    if (rnd() < 0.05) rows.set(i, 'baseline', 150 + rnd());
  }
  return records;
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
  const spy = inWasm ? vi.spyOn(WasmHitSummer, 'for') : vi.spyOn(WasmHitSummer, 'for').mockReturnValue(undefined);
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
      const spy = inWasm ? vi.spyOn(WasmHitSummer, 'for') : vi.spyOn(WasmHitSummer, 'for').mockReturnValue(undefined);
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
