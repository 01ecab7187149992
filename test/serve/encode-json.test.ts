// The compiled JSON row encoder against a plain reference (String of each value, BigInt for 64-bit integers): the
// same text byte for byte, for every field kind and the edge values where a fast path could go wrong.
import { describe, expect, test } from 'vitest';
import { jsonArrayChunks } from '../../src/serve/encode-json.js';
import { makeLayout, type FieldLayout, type RecordLayout } from '../../src/strax/dtype/layout.js';
import { hitDtype, peakDtype } from '../../src/strax/dtype/standard.js';

/** microstrax's text for one value: Python's repr of the number (String of the double here), null for NaN/±Inf. */
function referenceValue(f: FieldLayout, v: DataView, a: number): string {
  switch (`${f.kind}${f.elementSize}`) {
    case 'i1': return String(v.getInt8(a));
    case 'u1': return String(v.getUint8(a));
    case 'b1': return v.getUint8(a) ? 'true' : 'false';
    case 'i2': return String(v.getInt16(a, true));
    case 'u2': return String(v.getUint16(a, true));
    case 'i4': return String(v.getInt32(a, true));
    case 'u4': return String(v.getUint32(a, true));
    case 'i8': case 'M8': case 'm8': return String(v.getBigInt64(a, true));
    case 'u8': return String(v.getBigUint64(a, true));
    case 'f4': { const x = v.getFloat32(a, true); return Number.isFinite(x) ? String(x) : 'null'; }
    case 'f8': { const x = v.getFloat64(a, true); return Number.isFinite(x) ? String(x) : 'null'; }
  }
  const bytes = new Uint8Array(v.buffer, v.byteOffset + a, f.elementSize);
  if (f.kind === 'U') {
    const cps = new Uint32Array(bytes.slice().buffer);
    const end = cps.indexOf(0);
    return JSON.stringify(String.fromCodePoint(...(end < 0 ? cps : cps.subarray(0, end))));
  }
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return JSON.stringify(Buffer.from(bytes.subarray(0, end)).toString('latin1'));
}

function reference(layout: RecordLayout, rows: Uint8Array): string {
  const v = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  const out: string[] = [];
  for (let i = 0; i < rows.length / layout.itemsize; i++) {
    const fields = layout.fields.map((f) => {
      const list = (shape: readonly number[], a: number): string => {
        if (shape.length === 0) return referenceValue(f, v, a);
        const stride = shape.slice(1).reduce((x, y) => x * y, 1) * f.elementSize;
        return `[${Array.from({ length: shape[0]! }, (_, j) => list(shape.slice(1), a + j * stride)).join(',')}]`;
      };
      return `${JSON.stringify(f.name)}:${list(f.shape, i * layout.itemsize + f.offset)}`;
    });
    out.push(`{${fields.join(',')}}`);
  }
  return `[${out.join(',')}]`;
}

const encode = (layout: RecordLayout, parts: Uint8Array[], chunkBytes?: number) => Buffer.concat([...jsonArrayChunks(layout, parts, chunkBytes)]).toString('utf8');

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) out[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
  return out;
}

const every = makeLayout([
  { name: 'i1', typestr: '|i1' }, { name: 'u1', typestr: '|u1' }, { name: 'b1', typestr: '|b1' },
  { name: 'i2', typestr: '<i2' }, { name: 'u2', typestr: '<u2' }, { name: 'i4', typestr: '<i4' }, { name: 'u4', typestr: '<u4' },
  { name: 'i8', typestr: '<i8' }, { name: 'u8', typestr: '<u8' }, { name: 'f4', typestr: '<f4' }, { name: 'f8', typestr: '<f8' },
  { name: 's', typestr: '|S5' }, { name: 'w', typestr: '<U3' },
  { name: 'list', typestr: '<f4', shape: [4] }, { name: 'grid', typestr: '<i8', shape: [2, 3] },
]);

describe('JSON row encoder', () => {
  test('random bytes in every field kind: the reference text, byte for byte', () => {
    const rows = randomBytes(every.itemsize * 2000, 11);
    const v = new DataView(rows.buffer);
    for (let i = 0; i < 2000; i++) {
      v.setUint8(i * every.itemsize + every.field('b1').offset, i % 2);
      // printable text (random bytes would include invalid code points for U)
      for (let c = 0; c < 5; c++) rows[i * every.itemsize + every.field('s').offset + c] = c < i % 6 ? 32 + (rows[i * every.itemsize + c]! % 200) : 0;
      for (let c = 0; c < 3; c++) v.setUint32(i * every.itemsize + every.field('w').offset + 4 * c, c < i % 4 ? 0x20 + (i * 7919 + c) % 0x2000 : 0, true);
    }
    expect(encode(every, [rows])).toBe(reference(every, rows));
  });

  test('edge values of integers and floats', () => {
    const n = 24;
    const rows = new Uint8Array(every.itemsize * n);
    const v = new DataView(rows.buffer);
    const i64 = [0n, 1n, -1n, 9n, 10n, -10n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 1712345679000000000n, -1712345679000000123n, 999999999n, 1000000000n, 4294967296n, 4294967295n, 2n ** 48n, 2n ** 48n - 1n, 10n ** 18n, -(10n ** 18n), 281474976710656000n, 1n];
    const u64 = [0n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n, 10n ** 19n, 18446744073000000000n, 1000000000n, 999999999n];
    const f32 = [0, -0, 1, -1, 0.1, 1e-45, 3.4028234663852886e38, -3.4e38, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31), 2 ** 24 + 2, 123456.5, 1e-7, 16777216, 1e10, 2.5, -0.5];
    const f64 = [0, -0, 5e-324, 1.7976931348623157e308, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e20, 123456789012345680000, 0.1, NaN, -Infinity, 2 ** 31, 2 ** 32, -4294967297, 1 / 3, 9007199254740991, -9007199254740991, 1e-7];
    const ints = [0, 1, -1, 9, 10, 99, 100, -128, 127, 255, -32768, 32767, 65535, -2147483648, 2147483647, 4294967295, 1000000000, 999999999];
    for (let i = 0; i < n; i++) {
      const at = (name: string) => i * every.itemsize + every.field(name).offset;
      const k = ints[i % ints.length]!;
      v.setInt8(at('i1'), k); v.setUint8(at('u1'), k); v.setInt16(at('i2'), k, true); v.setUint16(at('u2'), k, true);
      v.setInt32(at('i4'), k, true); v.setUint32(at('u4'), k, true);
      v.setBigInt64(at('i8'), i64[i % i64.length]!, true);
      v.setBigUint64(at('u8'), u64[i % u64.length]!, true);
      v.setFloat32(at('f4'), f32[i % f32.length]!, true);
      v.setFloat64(at('f8'), f64[i % f64.length]!, true);
      for (let j = 0; j < 4; j++) v.setFloat32(at('list') + 4 * j, f32[(i + j) % f32.length]!, true);
      for (let j = 0; j < 6; j++) v.setBigInt64(at('grid') + 8 * j, i64[(i + j) % i64.length]!, true);
    }
    const text = encode(every, [rows]);
    expect(text).toBe(reference(every, rows));
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
      // Small chunks are flushed as rows fill them (a peak row takes up to ~30 kB, so about one row per chunk).
      expect([...jsonArrayChunks(layout, parts, 1000)].length).toBeGreaterThan(layout.itemsize > 1000 ? 10 : 1);
    }
  });
});
