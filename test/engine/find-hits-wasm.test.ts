// The WebAssembly hit finder gives what the JavaScript one gives (rows, sort keys, integration windows), byte for byte:
// on random records crossing its copy blocks, with thresholds beyond int16 and int32 and between integers, with more
// hits than it first has room for, and for records too long for their data field; and the Hits plugin falls back to
// JavaScript without it.
import path from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { recordDtype } from '../../src/strax/dtype/standard.js';
import { DataCorruptedError } from '../../src/strax/errors.js';
import { TimeBase } from '../../src/strax/plugins/kernels/fields.js';
import { BadRecordLength, HIT, HitBuffer, findHits } from '../../src/strax/plugins/kernels/find-hits.js';
import { WasmHitFinder } from '../../src/strax/plugins/kernels/find-hits-wasm.js';
import { RecordWindows } from '../../src/strax/plugins/kernels/integration-bounds.js';
import { Hits } from '../../src/strax/plugins/hits.js';
import { WasmMemoryError } from '../../src/util/wasm.js';
import { permuteHitRows } from '../../src/strax/plugins/kernels/hit-order.js';
import { sortedOrder } from '../../src/strax/plugins/packed.js';
import { makeTmpDir } from '../support/tmp.js';
import { REPO, RUN, makeLiveRun, processLive, rowsOf } from './helpers.js';
import { T0, randomRecords } from './random-records.js';

const REC = recordDtype(110);
/** More records than one block the finder copies at a time. */
const RECORDS_PER_BLOCK = Math.floor((256 * 1024) / REC.itemsize);

interface Found {
  n: number;
  rows: Uint8Array;
  keys: Float64Array;
}

function inJavaScript(records: Uint8Array, threshold: number, base: TimeBase, saveOutsideHits?: readonly [number, number]): Found {
  const buf = new HitBuffer();
  const n = findHits(records, REC, threshold, base, buf, saveOutsideHits && new RecordWindows(saveOutsideHits));
  return { n, rows: new Uint8Array(buf.words.buffer, 0, n * HIT.itemsize).slice(), keys: buf.keys.slice(0, n) };
}

function inWebAssembly(finder: WasmHitFinder, records: Uint8Array, threshold: number, base: TimeBase, saveOutsideHits?: readonly [number, number]): Found {
  const found = finder.find(records, threshold, base, saveOutsideHits);
  return { n: found.n, rows: new Uint8Array(found.words.buffer, found.words.byteOffset, found.n * HIT.itemsize).slice(), keys: found.keys.slice(0, found.n) };
}

function expectSame(got: Found, want: Found): void {
  expect(got.n).toBe(want.n);
  expect(Buffer.from(got.rows).equals(Buffer.from(want.rows))).toBe(true);
  expect(Buffer.from(got.keys.buffer, got.keys.byteOffset, got.keys.byteLength).equals(Buffer.from(want.keys.buffer, want.keys.byteOffset, want.keys.byteLength))).toBe(true);
}

describe('find_hits in WebAssembly', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives the JavaScript finder’s rows, keys, windows and sorted rows on random records across its copy blocks (property)', () => {
    const finder = WasmHitFinder.for(REC)!;
    expect(finder).toBeDefined();
    const threshold = fc.oneof(fc.integer({ min: -20, max: 300 }), fc.constantFrom(-3e9, -40_000, -32_768, -32_767, 15.5, 32_767, 32_768, 40_000, 3e9));
    fc.assert(
      // A base after some records' times gives negative keys, which the WebAssembly sort leaves to the comparison sort.
      fc.property(fc.integer(), fc.integer({ min: 0, max: 2.5 * RECORDS_PER_BLOCK }), threshold, fc.constantFrom(1, 2, 10), fc.option(fc.tuple(fc.nat(300), fc.nat(500))), fc.constantFrom(-5000n, 20_000n), (seed, n, thr, dt, windows, baseShift) => {
        const records = randomRecords(seed, n, dt);
        const base = TimeBase.floor(T0 + baseShift, dt);
        const want = inJavaScript(records, thr, base, windows ?? undefined);
        if (thr <= 0 && n > 0) expect(want.n).toBeGreaterThan(0); // not a vacuous comparison
        expectSame(inWebAssembly(finder, records, thr, base, windows ?? undefined), want);
        const sorted = permuteHitRows(new Int32Array(want.rows.buffer), sortedOrder(want.keys, want.n), want.n);
        expect(Buffer.from(finder.findSorted(records, thr, base, windows ?? undefined)).equals(Buffer.from(sorted))).toBe(true);
      }),
      { numRuns: 40, seed: 20261203 },
    );
  });

  it('makes room when a chunk has more hits than it first allowed for (every other sample a hit)', () => {
    const n = 700;
    const rows = new RecordView(REC, new Uint8Array(n * REC.itemsize));
    for (let i = 0; i < n; i++) {
      rows.set(i, 'time', T0 + BigInt(1100 * i));
      rows.set(i, 'length', 110);
      rows.set(i, 'dt', 10);
      rows.set(i, 'channel', i % 7);
      rows.set(i, 'baseline', 16000.25);
      for (let j = 0; j < 110; j += 2) rows.set(i, 'data', 20 + j, j);
    }
    const base = TimeBase.floor(T0, 10);
    const want = inJavaScript(rows.bytes, 15, base, [30, 200]);
    expect(want.n).toBe(55 * n); // far beyond the first room of 2 per record + 64
    const finder = WasmHitFinder.for(REC)!;
    expectSame(inWebAssembly(finder, rows.bytes, 15, base, [30, 200]), want);
    const sorted = permuteHitRows(new Int32Array(want.rows.buffer), sortedOrder(want.keys, want.n), want.n);
    expect(Buffer.from(finder.findSorted(rows.bytes, 15, base, [30, 200])).equals(Buffer.from(sorted))).toBe(true);
  });

  it('refuses a record longer than its data field, naming it, as the JavaScript finder and strax do', () => {
    const n = RECORDS_PER_BLOCK + 500;
    const records = randomRecords(7, n, 10);
    const bad = RECORDS_PER_BLOCK + 321; // in the second block
    new RecordView(REC, records).set(bad, 'length', 111);
    const base = TimeBase.floor(T0, 10);
    const refusal = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return error;
      }
      throw new Error('not refused');
    };
    for (const error of [refusal(() => inJavaScript(records, 15, base)), refusal(() => inWebAssembly(WasmHitFinder.for(REC)!, records, 15, base))]) {
      expect(error).toBeInstanceOf(BadRecordLength);
      expect((error as BadRecordLength).message).toBe(`record ${bad} has length 111, outside 0…110 (the samples its data field holds)`);
    }
    new RecordView(REC, records).set(bad, 'length', -1);
    expect(() => inWebAssembly(WasmHitFinder.for(REC)!, records, 15, base)).toThrow(`record ${bad} has length -1`);
    const plugin = new Hits({ hit_min_amplitude: 15, save_outside_hits_left: 30, save_outside_hits_right: 200 });
    const error = refusal(() => plugin.compute({ records }, { runId: '000123', start: T0, end: T0 + 10_000_000n }));
    expect(error).toBeInstanceOf(DataCorruptedError);
    expect((error as Error).message).toMatch(new RegExp(`^run 000123 records: record ${bad} has length -1, outside 0…110 .*recompute them from the live data with \\\`straxer 000123 -t hits --from-scratch\\\`$`));
  });

  it('the Hits plugin gives the same rows in JavaScript where no WebAssembly memory can be had, or it cannot grow', () => {
    const records = randomRecords(11, 3000, 10);
    const range = { runId: '000123', start: T0 - 5000n, end: T0 + 10_000_000_000n };
    const options = { hit_min_amplitude: 15, save_outside_hits_left: 30, save_outside_hits_right: 200 };
    const inWasm = new Hits(options).compute({ records }, range);
    expect(inWasm.length).toBeGreaterThan(100 * HIT.itemsize);
    const finder = vi.spyOn(WasmHitFinder, 'for').mockReturnValue(undefined);
    expect(Buffer.from(new Hits(options).compute({ records }, range)).equals(Buffer.from(inWasm))).toBe(true);
    expect(finder).toHaveBeenCalled();
    finder.mockRestore();
    const find = vi.spyOn(WasmHitFinder.prototype, 'find').mockImplementation(() => {
      throw new WasmMemoryError('no room');
    });
    expect(Buffer.from(new Hits(options).compute({ records }, range)).equals(Buffer.from(inWasm))).toBe(true);
    expect(find).toHaveBeenCalled();
  });

  it('straxer under a virtual-memory limit that leaves WebAssembly no memory finds the same hits and peaklets in JavaScript', async () => {
    // Each WebAssembly memory reserves several GiB of address space; with `ulimit -v` 8 GB (prlimit, util-linux) node
    // runs but neither the hit finder's memory nor sum_waveform's can be had. The rows must still be the same.
    const live = await makeLiveRun({ sizeMb: 4 });
    const reference = makeTmpDir();
    await processLive(live, reference, ['peaklets'], { save: ['hits'] });
    const cwd = makeTmpDir();
    const limited = path.join(cwd, 'strax');
    const r = await execa('prlimit', [`--as=${8e9}`, '--', process.execPath, path.join(REPO, 'bin', 'straxer.js'), RUN, '-t', 'peaklets', '-t', 'hits', '--live', live, '--storage', limited, '--workers', '1'], { cwd, reject: false, env: { DAQFLOW_CONFIG: '' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/WARN .*no WebAssembly memory can be had .*records are made, hits found and peak waveforms summed in JavaScript/);
    for (const [type, atLeast] of [['hits', 1000 * HIT.itemsize], ['peaklets', 1]] as const) {
      const want = await rowsOf(reference, type);
      expect(want.length, type).toBeGreaterThanOrEqual(atLeast);
      expect(Buffer.from(await rowsOf(limited, type)).equals(Buffer.from(want)), type).toBe(true);
    }
  }, 120_000);
});
