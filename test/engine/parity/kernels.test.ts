// Parity with strax 2.2.3: every kernel on the fixtures' records gives strax's rows byte for byte, chunk by chunk.
import { describe, expect, it, vi } from 'vitest';
import { peakDtype } from '../../../src/strax/dtype/standard.js';
import { TimeBase } from '../../../src/strax/plugins/kernels/fields.js';
import { findHits, HitBuffer } from '../../../src/strax/plugins/kernels/find-hits.js';
import { sortHitsByTime } from '../../../src/strax/plugins/kernels/hit-order.js';
import { findHitIntegrationBounds } from '../../../src/strax/plugins/kernels/integration-bounds.js';
import { clipToChunk, findPeaks } from '../../../src/strax/plugins/kernels/find-peaks.js';
import { sumWaveform } from '../../../src/strax/plugins/kernels/sum-waveform.js';
import { computeProperties } from '../../../src/strax/plugins/kernels/peak-properties.js';
import { splitPeaks } from '../../../src/strax/plugins/kernels/natural-breaks.js';
import { recordLinks } from '../../../src/strax/plugins/kernels/record-links.js';
import { buildPeaklets } from '../../../src/strax/plugins/kernels/peaklet-recipe.js';
import { fieldOffsets } from '../../../src/strax/plugins/kernels/fields.js';
import { manifest, parityCase, rowDifferences, type ParityCase, type StoredChunk } from './fixtures.js';
import type { RecordLayout } from '../../../src/strax/dtype/layout.js';
import { Hits } from '../../../src/strax/plugins/hits.js';
import { WasmHitFinder } from '../../../src/strax/plugins/kernels/find-hits-wasm.js';
import { WasmRecords } from '../../../src/strax/plugins/kernels/records-wasm.js';
import { LoneHits, Peaklets } from '../../../src/strax/plugins/peaklets.js';
import { RecordView } from '../../../src/strax/dtype/rows.js';

const P = manifest.parameters;
const CASES = manifest.cases.map((c) => c.name);

function hitsOf(records: Uint8Array, layout: RecordLayout, base: TimeBase): Uint8Array {
  const buf = new HitBuffer();
  const n = findHits(records, layout, P.hit_min_amplitude, base, buf);
  return sortHitsByTime(new Uint8Array(buf.words.buffer, 0, n * 48), base);
}

function peakOptions(c: ParityCase) {
  return {
    toPe: c.toPe, gapThreshold: P.gap_threshold, leftExtension: P.left_extension, rightExtension: P.right_extension,
    minArea: 0, minChannels: P.min_channels, maxDuration: P.max_duration,
  };
}

function splitOptions(c: ParityCase) {
  const [, s1, s2] = P.peak_split_gof_threshold;
  return { s1Line: s1, s2Line: s2, splitLow: true, filterWingWidth: P.peak_split_filter_wing_width, minArea: P.peak_split_min_area, iterations: P.peak_split_iterations, nTopChannels: c.nTopChannels };
}

interface ChunkContext {
  records: Uint8Array;
  recordLayout: RecordLayout;
  base: TimeBase;
  start: number;
  end: number;
}

async function eachChunk(c: ParityCase, type: string, check: (ctx: ChunkContext, expected: StoredChunk, layout: RecordLayout) => Uint8Array): Promise<void> {
  const rec = await c.load('records');
  const out = await c.load(type);
  expect(out.chunks.length).toBe(rec.chunks.length);
  rec.chunks.forEach((r, i) => {
    const base = TimeBase.floor(r.start, 10);
    const ctx = { records: r.rows, recordLayout: rec.layout, base, start: base.relOf(r.start), end: base.relOf(r.end) };
    const got = check(ctx, out.chunks[i]!, out.layout);
    expect(rowDifferences(out.layout, out.chunks[i]!.rows, got), `${c.name} ${type} chunk ${i}`).toEqual([]);
  });
}

/** hits with integration bounds as the fixture's `hits` / `hits_b30_200` recipe. */
function boundedHits(ctx: ChunkContext, saveOutsideHits: readonly [number, number]): Uint8Array {
  const hits = hitsOf(ctx.records, ctx.recordLayout, ctx.base);
  findHitIntegrationBounds(hits, ctx.records, ctx.recordLayout, ctx.base, { saveOutsideHits });
  return hits;
}

function foundPeaks(c: ParityCase, ctx: ChunkContext, layout: RecordLayout): { peaks: Uint8Array; hits: Uint8Array } {
  const hits = boundedHits(ctx, P.save_outside_hits_ns);
  const peaks = findPeaks(hits, layout, ctx.base, peakOptions(c));
  clipToChunk(peaks, fieldOffsets(layout, ['time', 'length', 'dt']), true, ctx.base, ctx.start, ctx.end);
  return { peaks, hits };
}

function summedPeaks(c: ParityCase, ctx: ChunkContext, layout: RecordLayout) {
  const { peaks, hits } = foundPeaks(c, ctx, layout);
  const links = recordLinks(ctx.records, ctx.recordLayout, ctx.base);
  sumWaveform(peaks, layout, hits, ctx.records, ctx.recordLayout, ctx.base, { toPe: c.toPe, links });
  computeProperties(peaks, layout, ctx.base, 0);
  return { peaks, hits, links };
}

/** Where sum_waveform sums a hit's samples: WebAssembly, or JavaScript as where no WebAssembly memory can be had. */
const SUMMING = ['WebAssembly', 'JavaScript'] as const;

async function summedIn(summing: (typeof SUMMING)[number], run: () => Promise<void>): Promise<void> {
  const noWasm = summing === 'WebAssembly' ? undefined : vi.spyOn(WasmRecords, 'load').mockReturnValue(undefined);
  const wasm = summing === 'WebAssembly' ? vi.spyOn(WasmRecords, 'load') : undefined;
  try {
    await run();
    if (noWasm) expect(noWasm).toHaveBeenCalled();
    if (wasm) expect(wasm.mock.results.some((r) => r.type === 'return' && r.value !== undefined)).toBe(true);
  } finally {
    noWasm?.mockRestore();
    wasm?.mockRestore();
  }
}

describe.each(CASES)('strax 2.2.3 parity, case %s', (name) => {
  const c = parityCase(name);

  it('peak dtype equals strax.peak_dtype(n_channels) as stored', async () => {
    const { layout } = await c.load('peaks');
    expect(peakDtype({ nChannels: c.nChannels }).descr).toBe(layout.descr);
  });

  it('find_hits + find_hit_integration_bounds (3, 20) ns: hits identical', () =>
    eachChunk(c, 'hits', (ctx) => boundedHits(ctx, P.save_outside_hits_ns)));

  it('find_hit_integration_bounds (30, 200) ns: hits_b30_200 identical', () =>
    eachChunk(c, 'hits_b30_200', (ctx) => boundedHits(ctx, P.save_outside_hits_wide_ns)));

  it.each([
    ['hits', P.save_outside_hits_ns, 'WebAssembly'],
    ['hits_b30_200', P.save_outside_hits_wide_ns, 'WebAssembly'],
    ['hits', P.save_outside_hits_ns, 'JavaScript (no WebAssembly memory)'],
    ['hits_b30_200', P.save_outside_hits_wide_ns, 'JavaScript (no WebAssembly memory)'],
  ] as const)('the Hits plugin (windows set while finding) gives %s identical, in %s', async (type, [left, right], finder) => {
    const noWasm = finder === 'WebAssembly' ? undefined : vi.spyOn(WasmHitFinder, 'for').mockReturnValue(undefined);
    try {
      const plugin = new Hits({ hit_min_amplitude: P.hit_min_amplitude, save_outside_hits_left: left, save_outside_hits_right: right });
      await eachChunk(c, type, (ctx) => plugin.compute({ records: ctx.records }, { runId: '000000', start: ctx.base.value + BigInt(ctx.start), end: ctx.base.value + BigInt(ctx.end) }));
      if (noWasm) expect(noWasm).toHaveBeenCalled();
    } finally {
      noWasm?.mockRestore();
    }
  });

  it('find_peaks + clip to the chunk: peaks_found identical', () =>
    eachChunk(c, 'peaks_found', (ctx, _e, layout) => foundPeaks(c, ctx, layout).peaks));

  it.each(SUMMING)('sum_waveform + compute_properties: peaks identical, samples summed in %s', (summing) =>
    summedIn(summing, () => eachChunk(c, 'peaks', (ctx, _e, layout) => summedPeaks(c, ctx, layout).peaks)));

  it('natural-breaks split_peaks: peaks_split identical', () =>
    eachChunk(c, 'peaks_split', (ctx, _e, layout) => {
      const { peaks, hits, links } = summedPeaks(c, ctx, layout);
      const recordDt = 10;
      return splitPeaks(peaks, layout, hits, ctx.records, ctx.recordLayout, ctx.base, { ...splitOptions(c), nTopChannels: 0, toPe: c.toPe, links, recordDt });
    }));

  it.each(SUMMING)('the Peaklets plugin (given the fixture gains) gives peaklets identical except its S1/S2 type, samples summed in %s', (summing) =>
    summedIn(summing, () => eachChunk(c, 'peaklets', (ctx, _e, layout) => {
      const defaults = Object.fromEntries(Object.entries(Peaklets.options).map(([k, spec]) => [k, spec.default]));
      const config = { ...defaults, n_tpc_pmts: c.nChannels, n_top_pmts: c.nTopChannels, pmt_to_pe: [...c.toPe] } as Peaklets['config'];
      const range = { runId: '000000', start: ctx.base.value + BigInt(ctx.start), end: ctx.base.value + BigInt(ctx.end) };
      const hits = new Hits({ hit_min_amplitude: P.hit_min_amplitude, save_outside_hits_left: 30, save_outside_hits_right: 200 }).compute({ records: ctx.records }, range);
      const rows = new Peaklets(config).compute({ records: ctx.records, hits }, range);
      // daqflow classifies in peaklets (straxen in a later plugin): compare the type separately, then without it.
      const types = new RecordView(layout, rows);
      for (let i = 0; i < types.length; i++) {
        expect([0, 1, 2]).toContain(Number(types.get(i, 'type')));
        types.set(i, 'type', 0);
      }
      return rows;
    })));

  it('the LoneHits plugin (given the fixture gains) gives lone_hits identical', () =>
    eachChunk(c, 'lone_hits', (ctx) => {
      const defaults = Object.fromEntries(Object.entries(LoneHits.options).map(([k, spec]) => [k, spec.default]));
      const config = { ...defaults, n_tpc_pmts: c.nChannels, n_top_pmts: c.nTopChannels, pmt_to_pe: [...c.toPe] } as LoneHits['config'];
      const range = { runId: '000000', start: ctx.base.value + BigInt(ctx.start), end: ctx.base.value + BigInt(ctx.end) };
      const hits = new Hits({ hit_min_amplitude: P.hit_min_amplitude, save_outside_hits_left: 30, save_outside_hits_right: 200 }).compute({ records: ctx.records }, range);
      const before = hits.slice();
      const rows = new LoneHits(config).compute({ records: ctx.records, hits }, range);
      expect(Buffer.compare(hits, before), 'the hits input is left as it was').toBe(0);
      return rows;
    }));

  for (const [type, pick] of [['peaklets', 'peaklets'], ['lone_hits', 'loneHits'], ['hitlets', 'hitlets']] as const) {
    it(`straxen Peaklets recipe: ${type} identical`, () =>
      eachChunk(c, type, (ctx, _e, _l) => {
        const layout = peakDtype({ nChannels: c.nChannels });
        const hits = hitsOf(ctx.records, ctx.recordLayout, ctx.base);
        const out = buildPeaklets(ctx.records, ctx.recordLayout, hits, layout, ctx.base, { start: ctx.start, end: ctx.end }, { find: peakOptions(c), split: splitOptions(c), saveOutsideHits: P.save_outside_hits_wide_ns });
        return out[pick];
      }));
  }
});
