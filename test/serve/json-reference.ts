// The plain reference text of strax rows as JSON (String of each value, BigInt for 64-bit integers), which both JSON
// row encoders (encode-json.ts, and encode-json-wasm.ts in WebAssembly) must write byte for byte.
import type { FieldLayout, RecordLayout } from '../../src/strax/dtype/layout.js';

/** microstrax's text for one value: Python's repr of the number (String of the double here), null for NaN/±Inf. */
export function referenceValue(f: FieldLayout, v: DataView, a: number): string {
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

export function reference(layout: RecordLayout, rows: Uint8Array): string {
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

export function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) out[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
  return out;
}
