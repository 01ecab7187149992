// Packed strax rows as a JSON array of objects, as microstrax returns them: int64 exact, sub-arrays as (nested) lists.
import { arrayTypeOf } from '../strax/dtype/columns.js';
import type { FieldLayout, RecordLayout } from '../strax/dtype/layout.js';

type FieldWriter = (view: DataView, at: number) => string;

function scalarReader(f: FieldLayout): FieldWriter {
  switch (`${f.kind}${f.elementSize}`) {
    case 'i1': return (v, a) => String(v.getInt8(a));
    case 'u1': return (v, a) => String(v.getUint8(a));
    case 'b1': return (v, a) => (v.getUint8(a) ? 'true' : 'false');
    case 'i2': return (v, a) => String(v.getInt16(a, true));
    case 'u2': return (v, a) => String(v.getUint16(a, true));
    case 'i4': return (v, a) => String(v.getInt32(a, true));
    case 'u4': return (v, a) => String(v.getUint32(a, true));
    case 'i8': case 'M8': case 'm8': return (v, a) => String(v.getBigInt64(a, true));
    case 'u8': return (v, a) => String(v.getBigUint64(a, true));
    // NaN and ±Infinity are not JSON; they become null.
    case 'f4': return (v, a) => finite(v.getFloat32(a, true));
    case 'f8': return (v, a) => finite(v.getFloat64(a, true));
  }
  return textReader(f);
}

function finite(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

const latin1 = new TextDecoder('latin1');
const utf32 = (bytes: Uint8Array): string => {
  let s = '';
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    const cp = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    if (cp === 0) break;
    s += String.fromCodePoint(cp);
  }
  return s;
};

/** Bytes (S) and text (U) fields: numpy strips trailing NULs. */
function textReader(f: FieldLayout): FieldWriter {
  const size = f.elementSize;
  return (v, a) => {
    const bytes = new Uint8Array(v.buffer, v.byteOffset + a, size);
    if (f.kind === 'U') return JSON.stringify(utf32(bytes));
    let end = size;
    while (end > 0 && bytes[end - 1] === 0) end--;
    return JSON.stringify(latin1.decode(bytes.subarray(0, end)));
  };
}

/**
 * A 1-D numeric sub-array (waveforms, per-channel areas): copied to an aligned scratch array and joined natively,
 * which is many times faster than writing element by element.
 */
function typedListWriter(f: FieldLayout): FieldWriter {
  const Ctor = arrayTypeOf(f);
  const scratch = new ArrayBuffer(f.size);
  const bytes = new Uint8Array(scratch);
  const typed = new Ctor(scratch);
  const float = f.kind === 'f';
  return (v, a) => {
    bytes.set(new Uint8Array(v.buffer, v.byteOffset + a, f.size));
    const text = typed.join(',');
    return `[${float && /[NI]/.test(text) ? text.replace(/-?Infinity|NaN/g, 'null') : text}]`;
  };
}

function fieldWriter(f: FieldLayout): FieldWriter {
  if (f.shape.length === 1 && 'iufmM'.includes(f.kind)) return typedListWriter(f);
  const one = scalarReader(f);
  if (f.shape.length === 0) return one;
  const el = f.elementSize;
  const nested = (shape: readonly number[], v: DataView, a: number): string => {
    const [dim, ...rest] = shape;
    const stride = rest.reduce((x, y) => x * y, 1) * el;
    const parts: string[] = new Array(dim!);
    for (let j = 0; j < dim!; j++) parts[j] = rest.length ? nested(rest, v, a + j * stride) : one(v, a + j * el);
    return `[${parts.join(',')}]`;
  };
  return (v, a) => nested(f.shape, v, a);
}

/** A function writing rows [from, to) of a packed buffer as comma-separated JSON objects (no brackets). */
export function jsonRowsWriter(layout: RecordLayout): (rows: Uint8Array, from: number, to: number) => string {
  const keys = layout.fields.map((f, i) => `${i === 0 ? '{' : ','}${JSON.stringify(f.name)}:`);
  const writers = layout.fields.map(fieldWriter);
  const offsets = layout.fields.map((f) => f.offset);
  const size = layout.itemsize;
  const nf = writers.length;
  return (rows, from, to) => {
    const view = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
    let s = '';
    for (let i = from; i < to; i++) {
      const base = i * size;
      if (i > from) s += ',';
      for (let k = 0; k < nf; k++) s += keys[k]! + writers[k]!(view, base + offsets[k]!);
      s += '}';
    }
    return s;
  };
}

/** The whole reply as a stream of text pieces of at most `batch` rows each: `[`, rows, `]`. */
export function* jsonArrayPieces(layout: RecordLayout, parts: readonly Uint8Array[], batch = 1000): Generator<string> {
  const write = jsonRowsWriter(layout);
  let first = true;
  for (const part of parts) {
    const n = part.length / layout.itemsize;
    for (let i = 0; i < n; i += batch) {
      yield (first ? '[' : ',') + write(part, i, Math.min(n, i + batch));
      first = false;
    }
  }
  yield first ? '[]' : ']';
}
