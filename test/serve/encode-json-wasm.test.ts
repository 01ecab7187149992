// The WebAssembly JSON encoder (encode-json-wasm.ts, wasm/json-rows.ts) on its own: which dtypes it writes, every
// kind of double a float formatter can get wrong (against String, the reference microstrax's text is held to), how
// it cuts a reply into Buffers, and replies written in turn through its one shared instance.
import { describe, expect, test } from 'vitest';
import { jsonArrayChunks, jsonRowEncoder } from '../../src/serve/encode-json.js';
import { WasmJsonRows } from '../../src/serve/encode-json-wasm.js';
import { makeLayout, type RecordLayout } from '../../src/strax/dtype/layout.js';
import { hitDtype, peakDtype } from '../../src/strax/dtype/standard.js';
import { randomBytes, reference } from './json-reference.js';

const wasmFor = (layout: RecordLayout) => WasmJsonRows.for(layout, jsonRowEncoder(layout).maxRowBytes + 1);

function chunks(layout: RecordLayout, parts: Uint8Array[], chunkBytes = 256 * 1024): Uint8Array[] {
  if (!wasmFor(layout)) throw new Error('the WebAssembly encoder refused the dtype');
  return [...jsonArrayChunks(layout, parts, chunkBytes)];
}
const text = (layout: RecordLayout, parts: Uint8Array[], chunkBytes?: number) => Buffer.concat(chunks(layout, parts, chunkBytes)).toString('utf8');

/** The neighbours of x one unit in the last place away, as doubles (or as float32 values). */
function neighbours(x: number, f32: boolean): number[] {
  const bits = f32 ? new Uint32Array(1) : new BigUint64Array(1);
  const value = f32 ? new Float32Array(bits.buffer) : new Float64Array(bits.buffer);
  value[0] = x;
  const out = [value[0]!];
  if (f32) {
    const b = bits as Uint32Array;
    const base = b[0]!;
    for (const d of [-1, 1]) {
      b[0] = base + d;
      out.push(value[0]!);
    }
  } else {
    const b = bits as BigUint64Array;
    const base = b[0]!;
    for (const d of [-1n, 1n]) {
      b[0] = base + d;
      out.push(value[0]!);
    }
  }
  return out;
}

/** Doubles (or float32 values) where shortest-digit formatting has its special cases. */
function hardValues(f32: boolean): number[] {
  const v: number[] = [0, -0, NaN, Infinity, -Infinity];
  const bits = new Uint32Array(2);
  const as64 = new Float64Array(bits.buffer);
  const as32 = new Float32Array(bits.buffer);
  // every binade: its power of two (a narrower interval below), the next value, the last value before the next binade
  for (let e = 0; e < (f32 ? 255 : 2047); e++) {
    for (const m of [0, 1, 2, 0x7fffff]) {
      if (f32) {
        bits[0] = (e << 23) | m;
        v.push(as32[0]!, -as32[0]!);
      } else {
        bits[0] = m === 0x7fffff ? 0xffffffff : m;
        bits[1] = (e << 20) | (m === 0x7fffff ? 0xfffff : 0);
        v.push(as64[0]!);
      }
    }
  }
  // where String switches between plain digits, a point and an exponent (1e21, 1e-7), and powers of ten around
  for (let k = -45; k <= 38; k++) v.push(...neighbours(Number(`1e${k}`), f32), ...neighbours(Number(`5e${k}`), f32));
  if (!f32) for (const k of [-323, -308, -300, 22, 23, 100, 300, 308]) v.push(...neighbours(Number(`1e${k}`), false));
  // integers near 2^53 (the integer fast path's end) and halves of odd integers
  for (const x of [2 ** 53, 2 ** 53 - 2, 2 ** 54, 2 ** 24, 2 ** 24 + 2, 1.5, 2.5, 1234567.5, 0.5, 0.25, 0.125]) v.push(...neighbours(x, f32));
  return v;
}

function floatRows(f32: boolean, values: number[], randomCount: number, seed: number): { layout: RecordLayout; rows: Uint8Array } {
  const per = 1000;
  const layout = makeLayout([{ name: 'x', typestr: f32 ? '<f4' : '<f8', shape: [per] }]);
  const n = Math.ceil((values.length + randomCount) / per);
  const rows = randomBytes(n * layout.itemsize, seed); // random bit patterns after the given values
  const view = f32 ? new Float32Array(rows.buffer) : new Float64Array(rows.buffer);
  view.set(values);
  return { layout, rows };
}

describe('WebAssembly JSON encoder', () => {
  test('writes numbers and booleans, scalars and 1-D lists; leaves text and nested lists to JavaScript', () => {
    for (const layout of [peakDtype(), hitDtype(), makeLayout([{ name: 'a', typestr: '<u8' }, { name: 'b', typestr: '|b1', shape: [3] }])]) {
      expect(wasmFor(layout)).toBeDefined();
    }
    for (const layout of [makeLayout([{ name: 's', typestr: '|S4' }]), makeLayout([{ name: 'u', typestr: '<U2' }]), makeLayout([{ name: 'g', typestr: '<f4', shape: [2, 2] }]), makeLayout([])]) {
      expect(wasmFor(layout)).toBeUndefined();
    }
  });

  test.each([{ type: 'float32', f32: true }, { type: 'float64', f32: false }])('$type: the shortest text of each double, as String writes it, for hard and random values', ({ f32 }) => {
    const { layout, rows } = floatRows(f32, hardValues(f32), 150_000, f32 ? 5 : 6);
    const got = text(layout, [rows]);
    const want = reference(layout, rows);
    if (got !== want) {
      // name the first value that differs rather than printing megabytes
      const g = got.split(/[[\],{}:]+/);
      const w = want.split(/[[\],{}:]+/);
      const i = w.findIndex((x, k) => x !== g[k]);
      expect(g[i]).toBe(w[i]);
    }
    expect(got).toBe(want);
    expect(got).toContain(f32 ? '0.10000000149011612' : '5e-324');
  });

  test('cuts replies into Buffers of about chunkBytes; each part ends with its own', () => {
    for (const layout of [peakDtype(), hitDtype()]) {
      const rows = randomBytes(layout.itemsize * 120, 9);
      const at = (i: number) => i * layout.itemsize;
      const parts = [rows.subarray(0, 0), rows.subarray(0, at(50)), rows.subarray(at(50), at(50)), rows.subarray(at(50), at(51)), rows.subarray(at(51))];
      const want = reference(layout, rows);
      const maxRow = jsonRowEncoder(layout).maxRowBytes;
      for (const chunkBytes of [1, 7, 1000, 65536, 256 * 1024]) {
        const out = chunks(layout, parts, chunkBytes);
        expect(Buffer.concat(out).toString('utf8')).toBe(want);
        // a Buffer closes once it reaches chunkBytes: at most one row (and its comma, and the bracket) past it
        for (const b of out) expect(b.length).toBeLessThanOrEqual(chunkBytes + maxRow + 2);
        // in one part, every Buffer but the part's last reaches chunkBytes
        const whole = chunks(layout, [rows], chunkBytes);
        expect(Buffer.concat(whole).toString('utf8')).toBe(want);
        for (const b of whole.slice(0, -2)) expect(b.length).toBeGreaterThanOrEqual(chunkBytes);
        expect(Buffer.from(whole.at(-1)!).toString()).toBe(']');
      }
    }
  });

  test('no rows: an empty array', () => {
    expect(text(hitDtype(), [])).toBe('[]');
    expect(text(hitDtype(), [new Uint8Array(0), new Uint8Array(0)], 1)).toBe('[]');
  });

  test('replies written in turn through the one shared instance do not mix', () => {
    const peaks = peakDtype();
    const hits = hitDtype();
    const p = randomBytes(peaks.itemsize * 40, 1);
    const h = randomBytes(hits.itemsize * 3000, 2);
    expect(wasmFor(peaks) && wasmFor(hits)).toBeDefined();
    const a = jsonArrayChunks(peaks, [p], 4096);
    const b = jsonArrayChunks(hits, [h], 4096);
    const outA: Uint8Array[] = [];
    const outB: Uint8Array[] = [];
    let steps = 0;
    for (let doneA = false, doneB = false; !doneA || !doneB; steps++) {
      if (!doneA) {
        const r = a.next();
        if (r.done) doneA = true;
        else outA.push(r.value);
      }
      if (!doneB) {
        const r = b.next();
        if (r.done) doneB = true;
        else outB.push(r.value);
      }
    }
    expect(steps).toBeGreaterThan(20);
    expect(Buffer.concat(outA).toString('utf8')).toBe(reference(peaks, p));
    expect(Buffer.concat(outB).toString('utf8')).toBe(reference(hits, h));
  });
});
