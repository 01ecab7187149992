// Typed access to packed rows: column extraction (struct-of-arrays) and a DataView row accessor (array-of-structs).
import os from 'node:os';
import type { FieldLayout, RecordLayout } from './layout.js';

export type ColumnArray =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

/** One field of n rows as an aligned typed array; sub-array fields hold `perRow` elements per row, row-major. */
export interface Column<T extends ColumnArray = ColumnArray> {
  readonly field: FieldLayout;
  readonly values: T;
  readonly perRow: number;
  /** Row i's elements (a view, no copy), e.g. `columns.data.row(i)` → 110 samples. */
  row(i: number): T;
}

export type Columns = Record<string, Column>;

const LITTLE_ENDIAN_HOST = os.endianness() === 'LE';

/** The typed-array constructor for a field's element type (bytes, text and bool come as Uint8Array of raw bytes). */
export function arrayTypeOf(f: FieldLayout): { new (buffer: ArrayBuffer, offset?: number, length?: number): ColumnArray; BYTES_PER_ELEMENT: number } {
  switch (`${f.kind}${f.kind === 'S' || f.kind === 'U' ? '' : f.elementSize}`) {
    case 'i1': return Int8Array;
    case 'u1': case 'b1': case 'S': case 'U': return Uint8Array;
    case 'i2': return Int16Array;
    case 'u2': return Uint16Array;
    case 'i4': return Int32Array;
    case 'u4': return Uint32Array;
    case 'i8': case 'M8': case 'm8': return BigInt64Array;
    case 'u8': return BigUint64Array;
    case 'f4': return Float32Array;
    case 'f8': return Float64Array;
  }
  throw new Error(`no typed array for ${f.typestr}`);
}

function rowsOf(layout: RecordLayout, bytes: Uint8Array): number {
  if (bytes.length % layout.itemsize !== 0) {
    throw new RangeError(`buffer of ${bytes.length} bytes is not a whole number of ${layout.itemsize}-byte rows`);
  }
  return bytes.length / layout.itemsize;
}

/** Copy one field out of packed rows into an aligned typed array. */
export function extractColumn(layout: RecordLayout, bytes: Uint8Array, name: string): Column {
  if (!LITTLE_ENDIAN_HOST) throw new Error('strax columns need a little-endian host');
  const f = layout.field(name);
  const n = rowsOf(layout, bytes);
  const out = new Uint8Array(n * f.size);
  const stride = layout.itemsize;
  const size = f.size;
  if (size >= 24) {
    // Buffer#copy is a native memcpy without allocating a view per row.
    const src = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const dst = Buffer.from(out.buffer);
    for (let i = 0, s = f.offset; i < n; i++, s += stride) src.copy(dst, i * size, s, s + size);
  } else {
    for (let i = 0, s = f.offset, d = 0; i < n; i++, s += stride) for (let k = 0; k < size; k++) out[d++] = bytes[s + k]!;
  }
  const Ctor = arrayTypeOf(f);
  const perRow = f.kind === 'S' || f.kind === 'U' ? f.size : f.count;
  const values = new Ctor(out.buffer, 0, n * perRow);
  return { field: f, values, perRow, row: (i: number) => values.subarray(i * perRow, (i + 1) * perRow) as never };
}

/** All fields as columns (struct-of-arrays). */
export function toColumns(layout: RecordLayout, bytes: Uint8Array, names?: readonly string[]): Columns {
  const out: Columns = {};
  for (const name of names ?? layout.fields.map((f) => f.name)) out[name] = extractColumn(layout, bytes, name);
  return out;
}

/** Pack columns (typed arrays of n × perRow elements per field) back into strax rows; missing fields are zero. */
export function fromColumns(layout: RecordLayout, n: number, columns: Record<string, ColumnArray | Column>): Uint8Array {
  if (!LITTLE_ENDIAN_HOST) throw new Error('strax columns need a little-endian host');
  const out = new Uint8Array(n * layout.itemsize);
  for (const f of layout.fields) {
    const c = columns[f.name];
    if (c === undefined) continue;
    const arr: ColumnArray = ArrayBuffer.isView(c) ? c : (c as Column).values;
    const src = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    if (src.length !== n * f.size) throw new RangeError(`column ${f.name}: ${src.length} bytes, expected ${n * f.size}`);
    const size = f.size;
    const srcBuf = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
    const outBuf = Buffer.from(out.buffer);
    for (let i = 0, d = f.offset; i < n; i++, d += layout.itemsize) {
      if (size >= 24) srcBuf.copy(outBuf, d, i * size, (i + 1) * size);
      else for (let k = 0, s = i * size; k < size; k++) out[d + k] = src[s + k]!;
    }
  }
  return out;
}
