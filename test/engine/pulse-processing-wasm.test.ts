// raw_records → records in WebAssembly gives what the Records plugin's JavaScript gives, byte for byte: on random
// raw_records (pulses continued over several records, some whose first record was in an earlier call, every length
// from 0 to the record's, samples over the whole int16 range so that int(baseline) − sample wraps, raw rows at odd
// addresses), over several calls in a row; a row whose length does not fit its data field is left to the JavaScript;
// and the plugin falls back to JavaScript without WebAssembly memory.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rawRecordDtype, recordDtype } from '../../src/strax/dtype/standard.js';
import { WasmPulseProcessing } from '../../src/strax/plugins/kernels/pulse-processing-wasm.js';
import { Records, newBaselineState, recordsInJs } from '../../src/strax/plugins/records.js';
import { instantiate } from '../../src/strax/engine/plugin.js';
import * as wasmUtil from '../../src/util/wasm.js';

const RAW = rawRecordDtype(110);
const REC = recordDtype(110);
const HEADER_BYTES = RAW.field('record_i').offset + RAW.field('record_i').size;

/** Random raw_records rows, as a pseudo-random generator from `seed` makes them (in time order, several channels). */
function randomRaw(seed: number, n: number, channels: number[], wide: boolean): Uint8Array {
  let state = seed >>> 0 || 1;
  const rand = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const out = new Uint8Array(n * RAW.itemsize);
  const v = new DataView(out.buffer);
  const next = new Map<number, number>(); // the next record_i of each channel's open pulse
  for (let i = 0; i < n; i++) {
    const o = i * RAW.itemsize;
    const channel = channels[Math.floor(rand() * channels.length)]!;
    // About half the records continue their channel's pulse (record_i > 0); some start in the middle of one.
    const recordI = next.has(channel) && rand() < 0.5 ? next.get(channel)! : rand() < 0.1 ? 1 + Math.floor(rand() * 3) : 0;
    next.set(channel, recordI + 1);
    const length = rand() < 0.15 ? Math.floor(rand() * 111) : 110;
    v.setBigInt64(o + RAW.field('time').offset, 1_700_000_000_000_000_000n + BigInt(i) * 1000n, true);
    v.setInt32(o + RAW.field('length').offset, length, true);
    v.setInt16(o + RAW.field('dt').offset, 10, true);
    v.setInt16(o + RAW.field('channel').offset, channel, true);
    v.setInt32(o + RAW.field('pulse_length').offset, 110 * (recordI + 1), true);
    v.setInt16(o + RAW.field('record_i').offset, recordI, true);
    v.setInt16(o + RAW.field('baseline').offset, Math.floor(rand() * 65536) - 32768, true);
    const level = wide ? Math.floor(rand() * 65536) - 32768 : 16000 + Math.floor(rand() * 20);
    for (let j = 0; j < 110; j++) {
      const sample = wide && rand() < 0.2 ? Math.floor(rand() * 65536) - 32768 : Math.max(-32768, Math.min(32767, level - (rand() < 0.05 ? Math.floor(rand() * 2000) : Math.floor(rand() * 5))));
      v.setInt16(o + RAW.field('data').offset + 2 * j, sample, true);
    }
  }
  return out;
}

/** `rows` at an odd address of a larger buffer (the JavaScript then reads its samples through a DataView). */
function atOddAddress(rows: Uint8Array): Uint8Array {
  const b = new Uint8Array(rows.length + 1);
  b.set(rows, 1);
  return b.subarray(1);
}

describe('raw_records → records in WebAssembly', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives the JavaScript rows on random raw_records, call after call (property)', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom([0], [0, 1, 2, 3], [-32768, -1, 0, 493, 32767], Array.from({ length: 494 }, (_, i) => i)),
        fc.integer({ min: 1, max: 130 }),
        fc.boolean(),
        fc.boolean(),
        (seed, sizes, channels, baselineSamples, wide, odd) => {
          const wasm = WasmPulseProcessing.for(RAW, REC, HEADER_BYTES)!;
          expect(wasm).toBeDefined();
          const js = newBaselineState();
          for (const [k, n] of sizes.entries()) {
            const raw = randomRaw(seed + k, n, channels, wide);
            const input = odd ? atOddAddress(raw) : raw;
            const want = recordsInJs(input, baselineSamples, js);
            const got = wasm.toRecords(input, baselineSamples);
            expect(got).toBeDefined();
            expect(Buffer.compare(Buffer.from(got!), Buffer.from(want))).toBe(0);
            expect(Buffer.compare(Buffer.from(input), Buffer.from(raw))).toBe(0); // the input is left as it was
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('recomputes the baseline of a continued pulse whose first record was in the previous call', () => {
    const wasm = WasmPulseProcessing.for(RAW, REC, HEADER_BYTES)!;
    const js = newBaselineState();
    const raw = randomRaw(7, 2, [5], false);
    const v = new DataView(raw.buffer);
    v.setInt16(RAW.field('record_i').offset, 0, true);
    v.setInt16(RAW.itemsize + RAW.field('record_i').offset, 1, true);
    const first = raw.slice(0, RAW.itemsize);
    const second = raw.slice(RAW.itemsize);
    // Different samples, so that the two baselines differ.
    new Int16Array(second.buffer, RAW.field('data').offset, 110).fill(100);
    const baselineAt = REC.field('baseline').offset;
    const together = wasm.toRecords(Buffer.concat([first, second]), 40)!;
    const apart = [wasm.toRecords(first, 40)!, wasm.toRecords(second, 40)!];
    const bl = (rows: Uint8Array, i: number) => new DataView(rows.buffer, rows.byteOffset).getFloat32(i * REC.itemsize + baselineAt, true);
    expect(bl(together, 1)).toBe(bl(together, 0)); // same call: the pulse keeps its first record's baseline
    expect(bl(apart[1]!, 0)).toBe(100); // later call: its own
    expect(Buffer.compare(Buffer.from(apart[1]!), Buffer.from(recordsInJs(second, 40, js)))).toBe(0);
  });

  it('forgets earlier calls\' baselines when the call stamp wraps around, as the JavaScript does', () => {
    const wasm = WasmPulseProcessing.for(RAW, REC, HEADER_BYTES)!;
    const js = newBaselineState();
    const stamp = (call: number) => {
      (wasm as unknown as { call: number }).call = call;
      js.call = call;
    };
    const same = (raw: Uint8Array) => expect(Buffer.compare(Buffer.from(wasm.toRecords(raw, 40)!), Buffer.from(recordsInJs(raw, 40, js)))).toBe(0);
    same(randomRaw(21, 50, [0, 1, 2], false)); // baselines stamped 1
    stamp(0x7ffffffd);
    same(randomRaw(22, 50, [7], false)); // stamped 0x7ffffffe; the next call wraps to stamp 1 again
    // Every record continues a pulse: each channel's first one must set its own baseline, not take call 1's.
    const continued = randomRaw(23, 50, [0, 1, 2], true);
    for (let i = 0; i < 50; i++) new DataView(continued.buffer).setInt16(i * RAW.itemsize + RAW.field('record_i').offset, 1, true);
    same(continued);
    expect(js.call).toBe(1);
  });

  it('leaves a call with a length outside the data field to the JavaScript', () => {
    const wasm = WasmPulseProcessing.for(RAW, REC, HEADER_BYTES)!;
    for (const length of [-1, 111]) {
      const raw = randomRaw(3, 5, [1, 2], false);
      new DataView(raw.buffer).setInt32(3 * RAW.itemsize + RAW.field('length').offset, length, true);
      expect(wasm.toRecords(raw, 40)).toBeUndefined();
    }
    // The Records plugin then computes the call in JavaScript, which reads what it reads, as before.
    const raw = randomRaw(3, 5, [1, 2], false);
    new DataView(raw.buffer).setInt32(4 * RAW.itemsize + RAW.field('length').offset, 0, true);
    const plugin = instantiate(Records, { baseline_samples: 40 });
    expect(Buffer.compare(Buffer.from(plugin.compute({ raw_records: raw }, { runId: '000001', start: 0n, end: 1n })), Buffer.from(recordsInJs(raw, 40, newBaselineState())))).toBe(0);
  });

  it('the Records plugin uses JavaScript, with the same rows, where no WebAssembly memory can be had', () => {
    const raw = randomRaw(11, 300, [0, 1, 2, 3], true);
    const withWasm = instantiate(Records, { baseline_samples: 40 }).compute({ raw_records: raw }, { runId: '000001', start: 0n, end: 1n });
    vi.spyOn(wasmUtil, 'wasmMemory').mockImplementation(() => {
      throw new wasmUtil.WasmMemoryError('no memory (test)');
    });
    const spy = vi.spyOn(WasmPulseProcessing.prototype, 'toRecords');
    const without = instantiate(Records, { baseline_samples: 40 }).compute({ raw_records: raw }, { runId: '000001', start: 0n, end: 1n });
    expect(spy).not.toHaveBeenCalled();
    expect(Buffer.compare(Buffer.from(without), Buffer.from(withWasm))).toBe(0);
  });
});
