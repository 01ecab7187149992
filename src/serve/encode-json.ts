// Packed strax rows as a JSON array of objects, as microstrax returns them: int64 exact, sub-arrays as (nested) lists,
// floats as the shortest text of their double value (Python's repr of numpy's float: float32 0.1 is 0.10000000149011612),
// NaN and ±Infinity as null. Dtypes of numbers and booleans are written by the WebAssembly encoder
// (encode-json-wasm.ts, 3–6× faster); the JavaScript row encoder here writes the rest and stands in where no
// WebAssembly memory can be had, with the same text (the tests hold both to a plain String/BigInt reference). It is
// compiled once per dtype and writes straight into Buffers: no per-row objects or strings except a float's text (V8's
// number-to-string, its dominant cost).
import type { FieldLayout, RecordLayout } from '../strax/dtype/layout.js';
import { WasmJsonRows } from './encode-json-wasm.js';

/** Writes one value at `at` of the row buffer into `out` at `pos`; returns the position after it. */
type ValueWriter = (view: DataView, at: number, out: Buffer, pos: number) => number;

const TRUE = Buffer.from('true', 'latin1');
const FALSE = Buffer.from('false', 'latin1');
const NULL = Buffer.from('null', 'latin1');

/** A non-negative integer below 2^53, in decimal. */
function writeDigits(out: Buffer, pos: number, v: number): number {
  if (v < 10) {
    out[pos] = 48 + v;
    return pos + 1;
  }
  let n = 1;
  for (let p = 10; p <= v; p *= 10) n++;
  let end = pos + n;
  if (v < 2 ** 31) {
    for (let x = v; x > 0; x = (x / 10) | 0) out[--end] = 48 + (x % 10);
  } else {
    for (let x = v; x > 0; x = Math.floor(x / 10)) out[--end] = 48 + (x % 10);
  }
  return pos + n;
}

function writeInt(out: Buffer, pos: number, v: number): number {
  if (v < 0) {
    out[pos++] = 45; // '-'
    v = -v;
  }
  return writeDigits(out, pos, v);
}

/** Nine decimal digits, zero-padded (the low part of an int64). */
function writeNineDigits(out: Buffer, pos: number, v: number): number {
  for (let k = pos + 8; k >= pos; k--) {
    out[k] = 48 + (v % 10);
    v = (v / 10) | 0;
  }
  return pos + 9;
}

/**
 * An unsigned 64-bit integer given as two 32-bit halves, exactly, without BigInt: split as q·10⁹ + r with
 * 2³² = 4·10⁹ + 294967296 and 2⁴⁸ = 281474·10⁹ + 976710656, every product below 2⁵³.
 */
function writeU64(out: Buffer, pos: number, hi: number, lo: number): number {
  if (hi < 0x200000) return writeDigits(out, pos, hi * 4294967296 + lo); // below 2^53: exact as a double
  const a = hi >>> 16;
  const b = hi & 0xffff;
  const low = a * 976710656 + b * 294967296 + lo;
  const carry = Math.floor(low / 1e9);
  const q = a * 281474 + b * 4 + carry;
  pos = writeDigits(out, pos, q);
  return writeNineDigits(out, pos, low - carry * 1e9);
}

function writeI64(out: Buffer, pos: number, hi: number, lo: number): number {
  if (hi >= 0) return writeU64(out, pos, hi, lo);
  out[pos++] = 45;
  // two's complement negation of (hi, lo)
  const nlo = (~lo + 1) >>> 0;
  const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
  return writeU64(out, pos, nhi, nlo);
}

function writeAscii(out: Buffer, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) out[pos + i] = s.charCodeAt(i);
  return pos + s.length;
}

/** The shortest text of a double (String(x)): integers below 2^53 by the digit writer, others by V8. */
function writeDouble(out: Buffer, pos: number, x: number): number {
  if (Number.isInteger(x) && x < 9007199254740992 && x > -9007199254740992) return writeInt(out, pos, x === 0 ? 0 : x);
  if (x !== x || x === Infinity || x === -Infinity) return pos + NULL.copy(out, pos);
  return writeAscii(out, pos, String(x));
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

/** Bytes (S) and text (U) fields as JSON strings (UTF-8); numpy strips trailing NULs. */
function textWriter(f: FieldLayout): ValueWriter {
  const size = f.elementSize;
  return (v, a, out, pos) => {
    const bytes = new Uint8Array(v.buffer, v.byteOffset + a, size);
    if (f.kind === 'U') return pos + out.write(JSON.stringify(utf32(bytes)), pos, 'utf8');
    let end = size;
    while (end > 0 && bytes[end - 1] === 0) end--;
    return pos + out.write(JSON.stringify(latin1.decode(bytes.subarray(0, end))), pos, 'utf8');
  };
}

function scalarWriter(f: FieldLayout): ValueWriter {
  switch (`${f.kind}${f.elementSize}`) {
    case 'i1': return (v, a, out, pos) => writeInt(out, pos, v.getInt8(a));
    case 'u1': return (v, a, out, pos) => writeDigits(out, pos, v.getUint8(a));
    case 'b1': return (v, a, out, pos) => pos + (v.getUint8(a) ? TRUE : FALSE).copy(out, pos);
    case 'i2': return (v, a, out, pos) => writeInt(out, pos, v.getInt16(a, true));
    case 'u2': return (v, a, out, pos) => writeDigits(out, pos, v.getUint16(a, true));
    case 'i4': return (v, a, out, pos) => writeInt(out, pos, v.getInt32(a, true));
    case 'u4': return (v, a, out, pos) => writeDigits(out, pos, v.getUint32(a, true));
    case 'i8': case 'M8': case 'm8': return (v, a, out, pos) => writeI64(out, pos, v.getInt32(a + 4, true), v.getUint32(a, true));
    case 'u8': return (v, a, out, pos) => writeU64(out, pos, v.getUint32(a + 4, true), v.getUint32(a, true));
    case 'f4': return (v, a, out, pos) => writeDouble(out, pos, v.getFloat32(a, true));
    case 'f8': return (v, a, out, pos) => writeDouble(out, pos, v.getFloat64(a, true));
  }
  return textWriter(f);
}

/** A scalar, or a (nested) list for a sub-array field. */
function fieldWriter(f: FieldLayout): ValueWriter {
  const one = scalarWriter(f);
  if (f.shape.length === 0) return one;
  const el = f.elementSize;
  const list = (shape: readonly number[], v: DataView, a: number, out: Buffer, pos: number): number => {
    const [dim, ...rest] = shape;
    const stride = rest.reduce((x, y) => x * y, 1) * el;
    out[pos++] = 91; // '['
    for (let j = 0; j < dim!; j++) {
      if (j > 0) out[pos++] = 44;
      pos = rest.length ? list(rest, v, a + j * stride, out, pos) : one(v, a + j * el, out, pos);
    }
    out[pos++] = 93;
    return pos;
  };
  if (f.shape.length === 1 && f.kind === 'f') return floatListWriter(f);
  if (f.shape.length === 1) {
    const dim = f.shape[0]!;
    return (v, a, out, pos) => {
      out[pos++] = 91;
      for (let j = 0; j < dim; j++) {
        if (j > 0) out[pos++] = 44;
        pos = one(v, a + j * el, out, pos);
      }
      out[pos++] = 93;
      return pos;
    };
  }
  return (v, a, out, pos) => list(f.shape, v, a, out, pos);
}

/**
 * A 1-D float sub-array (waveforms, per-channel areas): copied into a reused array of doubles and written by
 * JSON.stringify, which formats each number as String does (NaN and ±Infinity as null, -0 as 0) without a string
 * per element.
 */
function floatListWriter(f: FieldLayout): ValueWriter {
  const Ctor = f.elementSize === 4 ? Float32Array : Float64Array;
  const scratch = new ArrayBuffer(f.size);
  const bytes = new Uint8Array(scratch);
  const typed = new Ctor(scratch);
  const values: number[] = new Array<number>(typed.length).fill(0.5); // PACKED_DOUBLE_ELEMENTS from the start
  return (v, a, out, pos) => {
    bytes.set(new Uint8Array(v.buffer, v.byteOffset + a, f.size));
    for (let j = 0; j < typed.length; j++) values[j] = typed[j]!;
    return pos + out.write(JSON.stringify(values), pos, 'latin1');
  };
}

/** Most bytes one value of the field can take: a double's text is at most 24 characters, a string 6 per byte escaped. */
function maxValueBytes(f: FieldLayout): number {
  const one = f.kind === 'S' || f.kind === 'U' ? 6 * f.elementSize + 2 : 24;
  // every element plus a comma, and two brackets per list at every level
  return f.count * (one + 1) + 2 * f.count + 2;
}

export interface RowEncoder {
  /** Most bytes one row can take, `{`…`}` included. */
  readonly maxRowBytes: number;
  /** Writes row i of `view` as one JSON object into `out` at `pos`; returns the position after it. */
  write(view: DataView, i: number, out: Buffer, pos: number): number;
}

/** The row encoder for a dtype: each field's key text (`{"time":`, `,"length":`…) and value writer, built once. */
export function jsonRowEncoder(layout: RecordLayout): RowEncoder {
  const keys = layout.fields.map((f, i) => Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(f.name)}:`, 'utf8'));
  const writers = layout.fields.map(fieldWriter);
  const offsets = layout.fields.map((f) => f.offset);
  const size = layout.itemsize;
  const nf = writers.length;
  const maxRowBytes = layout.fields.reduce((a, f, i) => a + keys[i]!.length + maxValueBytes(f), 2);
  return {
    maxRowBytes,
    write(view, i, out, pos) {
      const base = i * size;
      for (let k = 0; k < nf; k++) {
        const key = keys[k]!;
        for (let c = 0; c < key.length; c++) out[pos + c] = key[c]!;
        pos = writers[k]!(view, base + offsets[k]!, out, pos + key.length);
      }
      if (nf === 0) out[pos++] = 123;
      out[pos++] = 125; // '}'
      return pos;
    },
  };
}

export interface JsonArrayOptions {
  /** About how many bytes of text each Buffer holds (a Buffer closes once it reaches this). */
  chunkBytes?: number;
  /** The WebAssembly encoder where it can write the dtype (encode-json-wasm.ts); false: the JavaScript one. */
  wasm?: boolean;
  /** Where the text goes: a buffer of at least `bytes` bytes, not read by anyone else until it is given back. */
  take?: (bytes: number) => Uint8Array;
}

/**
 * A JSON array of rows written part by part, so that parts can be decoded (or freed) while earlier ones are sent:
 * `rows(part)` yields the text of a part's rows (opening the array first), `end()` closes it. Rows are never collected
 * into one string or array, and no Buffer is held between calls: a part's text ends with its last Buffer.
 */
export class JsonArrayWriter {
  private readonly encoder: RowEncoder;
  private readonly wasm: WasmJsonRows | undefined;
  private readonly chunkBytes: number;
  private readonly take: (bytes: number) => Uint8Array;
  private opened = false;
  private first = true;

  constructor(private readonly layout: RecordLayout, options: JsonArrayOptions = {}) {
    this.encoder = jsonRowEncoder(layout);
    this.chunkBytes = Math.max(1, options.chunkBytes ?? 256 * 1024);
    this.take = options.take ?? ((bytes) => Buffer.allocUnsafe(bytes));
    this.wasm = options.wasm === false ? undefined : WasmJsonRows.for(layout, this.encoder.maxRowBytes + 1);
  }

  /** Buffers of text for the rows of `part` (whole rows), `[` before the first. */
  *rows(part: Uint8Array): Generator<Uint8Array> {
    const open = !this.opened;
    this.opened = true;
    if (this.wasm) {
      for (const { text, written } of this.wasm.encode(part, this.first, open, this.chunkBytes)) {
        if (written > 0) this.first = false;
        yield this.copy(text);
      }
      return;
    }
    yield* this.rowsInJavaScript(part, open);
  }

  /** The closing bracket (the whole empty array when no part came): a small Buffer of its own. */
  end(): Buffer {
    const text = Buffer.from(this.opened ? ']' : '[]', 'latin1');
    this.opened = true;
    return text;
  }

  private copy(text: Uint8Array): Uint8Array {
    const out = this.take(text.length).subarray(0, text.length);
    out.set(text);
    return out;
  }

  private buffer(bytes: number): Buffer {
    const b = this.take(bytes);
    return Buffer.from(b.buffer, b.byteOffset, bytes);
  }

  private *rowsInJavaScript(part: Uint8Array, open: boolean): Generator<Uint8Array> {
    const { encoder, layout, chunkBytes } = this;
    const capacity = chunkBytes + encoder.maxRowBytes + 2; // a row started below chunkBytes fits, with its comma
    const view = new DataView(part.buffer, part.byteOffset, part.byteLength);
    const n = part.length / layout.itemsize;
    let out = this.buffer(capacity);
    let pos = 0;
    if (open) out[pos++] = 91; // '['
    for (let i = 0; i < n; i++) {
      if (pos >= chunkBytes) {
        yield out.subarray(0, pos);
        out = this.buffer(capacity);
        pos = 0;
      }
      if (!this.first) out[pos++] = 44;
      this.first = false;
      pos = encoder.write(view, i, out, pos);
    }
    if (pos > 0) yield out.subarray(0, pos);
  }
}

/**
 * The whole reply as a stream of Buffers of about `chunkBytes` each: `[`, rows separated by commas, `]` (see
 * JsonArrayWriter). Written by the WebAssembly encoder where it can write the dtype, unless `wasm` is false.
 */
export function* jsonArrayChunks(layout: RecordLayout, parts: readonly Uint8Array[], chunkBytes = 256 * 1024, wasm = true): Generator<Uint8Array> {
  const writer = new JsonArrayWriter(layout, { chunkBytes, wasm });
  for (const part of parts) yield* writer.rows(part);
  yield writer.end();
}
