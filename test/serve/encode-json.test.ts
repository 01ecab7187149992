// The JSON row encoders against a plain reference (String of each value, BigInt for 64-bit integers): the same text
// byte for byte, for every field kind and the edge values where a fast path could go wrong. Each test runs through
// jsonArrayChunks as the server calls it (the WebAssembly encoder where it can write the dtype) and through the
// JavaScript encoder alone.
import { describe, expect, test } from 'vitest';
import { jsonArrayChunks } from '../../src/serve/encode-json.js';
import { makeLayout, type RecordLayout } from '../../src/strax/dtype/layout.js';
import { hitDtype, peakDtype } from '../../src/strax/dtype/standard.js';
import { randomBytes, reference } from './json-reference.js';

const numberFields = [
  { name: 'i1', typestr: '|i1' }, { name: 'u1', typestr: '|u1' }, { name: 'b1', typestr: '|b1' },
  { name: 'i2', typestr: '<i2' }, { name: 'u2', typestr: '<u2' }, { name: 'i4', typestr: '<i4' }, { name: 'u4', typestr: '<u4' },
  { name: 'i8', typestr: '<i8' }, { name: 'u8', typestr: '<u8' }, { name: 'f4', typestr: '<f4' }, { name: 'f8', typestr: '<f8' },
  { name: 'list', typestr: '<f4', shape: [4] }, { name: 'longs', typestr: '<i8', shape: [3] }, { name: 'flags', typestr: '|b1', shape: [2] },
  { name: 'doubles', typestr: '<f8', shape: [2] }, { name: 'bytes', typestr: '|u1', shape: [3] },
];
/** Numbers and booleans, scalars and 1-D lists: what the WebAssembly encoder writes. */
const numbers = makeLayout(numberFields);
/** …and text and a 2-D list, which only the JavaScript encoder writes. */
const every = makeLayout([...numberFields, { name: 's', typestr: '|S5' }, { name: 'w', typestr: '<U3' }, { name: 'grid', typestr: '<i8', shape: [2, 3] }]);

describe.each([{ encoder: 'as served', wasm: true }, { encoder: 'JavaScript', wasm: false }])('JSON row encoder ($encoder)', ({ wasm }) => {
  const encode = (layout: RecordLayout, parts: Uint8Array[], chunkBytes?: number) => Buffer.concat([...jsonArrayChunks(layout, parts, chunkBytes, wasm)]).toString('utf8');

  test.each([{ layout: every, name: 'every field kind' }, { layout: numbers, name: 'numbers alone' }])('random bytes, $name: the reference text, byte for byte', ({ layout }) => {
    const rows = randomBytes(layout.itemsize * 2000, 11);
    const v = new DataView(rows.buffer);
    for (let i = 0; i < 2000; i++) {
      v.setUint8(i * layout.itemsize + layout.field('b1').offset, i % 2);
      for (let c = 0; c < 2; c++) v.setUint8(i * layout.itemsize + layout.field('flags').offset + c, (i >> c) % 2);
      if (!layout.has('s')) continue;
      // printable text (random bytes would include invalid code points for U)
      for (let c = 0; c < 5; c++) rows[i * layout.itemsize + layout.field('s').offset + c] = c < i % 6 ? 32 + (rows[i * layout.itemsize + c]! % 200) : 0;
      for (let c = 0; c < 3; c++) v.setUint32(i * layout.itemsize + layout.field('w').offset + 4 * c, c < i % 4 ? 0x20 + (i * 7919 + c) % 0x2000 : 0, true);
    }
    expect(encode(layout, [rows])).toBe(reference(layout, rows));
  });

  test.each([{ layout: every, name: 'every field kind' }, { layout: numbers, name: 'numbers alone' }])('edge values of integers and floats, $name', ({ layout }) => {
    const n = 24;
    const rows = new Uint8Array(layout.itemsize * n);
    const v = new DataView(rows.buffer);
    const i64 = [0n, 1n, -1n, 9n, 10n, -10n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 1712345679000000000n, -1712345679000000123n, 999999999n, 1000000000n, 4294967296n, 4294967295n, 2n ** 48n, 2n ** 48n - 1n, 10n ** 18n, -(10n ** 18n), 281474976710656000n, 1n];
    const u64 = [0n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n, 10n ** 19n, 18446744073000000000n, 1000000000n, 999999999n];
    const f32 = [0, -0, 1, -1, 0.1, 1e-45, 3.4028234663852886e38, -3.4e38, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31), 2 ** 24 + 2, 123456.5, 1e-7, 16777216, 1e10, 2.5, -0.5];
    const f64 = [0, -0, 5e-324, 1.7976931348623157e308, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e20, 123456789012345680000, 0.1, NaN, -Infinity, 2 ** 31, 2 ** 32, -4294967297, 1 / 3, 9007199254740991, -9007199254740991, 1e-7];
    const ints = [0, 1, -1, 9, 10, 99, 100, -128, 127, 255, -32768, 32767, 65535, -2147483648, 2147483647, 4294967295, 1000000000, 999999999];
    for (let i = 0; i < n; i++) {
      const at = (name: string) => i * layout.itemsize + layout.field(name).offset;
      const k = ints[i % ints.length]!;
      v.setInt8(at('i1'), k); v.setUint8(at('u1'), k); v.setInt16(at('i2'), k, true); v.setUint16(at('u2'), k, true);
      v.setInt32(at('i4'), k, true); v.setUint32(at('u4'), k, true);
      v.setBigInt64(at('i8'), i64[i % i64.length]!, true);
      v.setBigUint64(at('u8'), u64[i % u64.length]!, true);
      v.setFloat32(at('f4'), f32[i % f32.length]!, true);
      v.setFloat64(at('f8'), f64[i % f64.length]!, true);
      for (let j = 0; j < 4; j++) v.setFloat32(at('list') + 4 * j, f32[(i + j) % f32.length]!, true);
      for (let j = 0; j < 3; j++) v.setBigInt64(at('longs') + 8 * j, i64[(i + j) % i64.length]!, true);
      for (let j = 0; j < 2; j++) v.setFloat64(at('doubles') + 8 * j, f64[(i + j) % f64.length]!, true);
      for (let j = 0; j < 3; j++) v.setUint8(at('bytes') + j, ints[(i + j) % ints.length]!);
      if (layout.has('grid')) for (let j = 0; j < 6; j++) v.setBigInt64(at('grid') + 8 * j, i64[(i + j) % i64.length]!, true);
    }
    const text = encode(layout, [rows]);
    expect(text).toBe(reference(layout, rows));
    expect(text).toContain('"i8":-9223372036854775808,');
    expect(text).toContain('"u8":18446744073709551615,');
    expect(text).toContain('"f4":0.10000000149011612,');
  });

  test('strax peaks and hits in several parts and small chunks: the reference text', () => {
    for (const layout of [peakDtype(), hitDtype()]) {
      const rows = randomBytes(layout.itemsize * 50, 3);
      const parts = [rows.subarray(0, 20 * layout.itemsize), rows.subarray(20 * layout.itemsize, 20 * layout.itemsize), rows.subarray(20 * layout.itemsize)];
      expect(encode(layout, parts, 1000)).toBe(reference(layout, rows));
      expect(encode(layout, parts)).toBe(reference(layout, rows));
      // Small chunks are flushed as rows fill them (a peak row's text takes several kB: a row or so per chunk).
      expect([...jsonArrayChunks(layout, parts, 1000, wasm)].length).toBeGreaterThan(layout.itemsize > 1000 ? 10 : 1);
    }
  });
});
