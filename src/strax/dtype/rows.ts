// Array-of-structs access: read and write fields of packed rows in place through a DataView.
import type { FieldLayout, RecordLayout } from './layout.js';

type Getter = (view: DataView, at: number) => number | bigint;
type Setter = (view: DataView, at: number, v: number | bigint) => void;

function accessors(f: FieldLayout): { get: Getter; set: Setter } {
  switch (`${f.kind}${f.elementSize}`) {
    case 'i1': return { get: (v, a) => v.getInt8(a), set: (v, a, x) => v.setInt8(a, Number(x)) };
    case 'u1': case 'b1': return { get: (v, a) => v.getUint8(a), set: (v, a, x) => v.setUint8(a, Number(x)) };
    case 'i2': return { get: (v, a) => v.getInt16(a, true), set: (v, a, x) => v.setInt16(a, Number(x), true) };
    case 'u2': return { get: (v, a) => v.getUint16(a, true), set: (v, a, x) => v.setUint16(a, Number(x), true) };
    case 'i4': return { get: (v, a) => v.getInt32(a, true), set: (v, a, x) => v.setInt32(a, Number(x), true) };
    case 'u4': return { get: (v, a) => v.getUint32(a, true), set: (v, a, x) => v.setUint32(a, Number(x), true) };
    case 'i8': case 'M8': case 'm8':
      return { get: (v, a) => v.getBigInt64(a, true), set: (v, a, x) => v.setBigInt64(a, BigInt(x), true) };
    case 'u8': return { get: (v, a) => v.getBigUint64(a, true), set: (v, a, x) => v.setBigUint64(a, BigInt(x), true) };
    case 'f4': return { get: (v, a) => v.getFloat32(a, true), set: (v, a, x) => v.setFloat32(a, Number(x), true) };
    case 'f8': return { get: (v, a) => v.getFloat64(a, true), set: (v, a, x) => v.setFloat64(a, Number(x), true) };
  }
  throw new Error(`field ${f.name}: no scalar accessor for ${f.typestr} (read its bytes instead)`);
}

/** Packed rows viewed in place. `get(i, 'data', j)` reads element j of a sub-array field. */
export class RecordView {
  readonly length: number;
  readonly view: DataView;
  private readonly acc = new Map<string, { f: FieldLayout; get: Getter; set: Setter }>();

  constructor(
    readonly layout: RecordLayout,
    readonly bytes: Uint8Array,
  ) {
    if (bytes.length % layout.itemsize !== 0) {
      throw new RangeError(`buffer of ${bytes.length} bytes is not a whole number of ${layout.itemsize}-byte rows`);
    }
    this.length = bytes.length / layout.itemsize;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private a(name: string) {
    let x = this.acc.get(name);
    if (!x) {
      const f = this.layout.field(name);
      x = { f, ...accessors(f) };
      this.acc.set(name, x);
    }
    return x;
  }

  /**
   * A fast reader for one field: `(i, j = 0) => value`, offsets resolved once. Use this (or a DataView with
   * `layout.field(name).offset`) in hot loops; `get()` looks the field up on every call.
   */
  reader(name: string): (i: number, j?: number) => number | bigint {
    const { f, get } = this.a(name);
    const view = this.view;
    const size = this.layout.itemsize;
    const off = f.offset;
    const el = f.elementSize;
    return (i: number, j = 0) => get(view, i * size + off + j * el);
  }

  /** Byte offset of element j of field `name` in row i. */
  offsetOf(i: number, name: string, j = 0): number {
    const f = this.layout.field(name);
    return i * this.layout.itemsize + f.offset + j * f.elementSize;
  }

  get(i: number, name: string, j = 0): number | bigint {
    const { f, get } = this.a(name);
    return get(this.view, i * this.layout.itemsize + f.offset + j * f.elementSize);
  }

  set(i: number, name: string, value: number | bigint, j = 0): void {
    const { f, set } = this.a(name);
    set(this.view, i * this.layout.itemsize + f.offset + j * f.elementSize, value);
  }

  /** Sub-array (or scalar) field of row i as plain values. */
  values(i: number, name: string): (number | bigint)[] {
    const f = this.layout.field(name);
    return Array.from({ length: f.count }, (_, j) => this.get(i, name, j));
  }

  /** int64 `time` of row i. */
  time(i: number): bigint {
    return this.view.getBigInt64(i * this.layout.itemsize + this.layout.field('time').offset, true);
  }

  /** Exclusive end time: the `endtime` field if present, else time + length × dt. */
  endtime(i: number): bigint {
    if (this.layout.has('endtime')) return this.get(i, 'endtime') as bigint;
    return this.time(i) + BigInt(Number(this.get(i, 'length')) * Number(this.get(i, 'dt')));
  }
}
