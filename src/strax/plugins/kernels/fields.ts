// Named field offsets of a dtype (resolved once) and int64 times as exact doubles relative to a base, for hot loops.
import type { RecordLayout } from '../../dtype/layout.js';
import { readParts, relTime, writeTime, type Int64Parts } from '../packed.js';

/** Byte offsets of the named fields within a row, plus the row size: `at.channel` instead of `14`. */
export type FieldOffsets<N extends string> = { readonly [K in N]: number } & { readonly itemsize: number };

export function fieldOffsets<const N extends readonly string[]>(layout: RecordLayout, names: N): FieldOffsets<N[number]> {
  const out: Record<string, number> = { itemsize: layout.itemsize };
  for (const name of names) out[name] = layout.field(name).offset;
  return out as FieldOffsets<N[number]>;
}

/** A DataView over packed rows. */
export function viewOf(rows: Uint8Array): DataView {
  return new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
}

/**
 * An int64 time origin. Times are handled as `time − base` in doubles (exact below 2⁵³ ns). The base is a multiple of
 * the sample width, so `floor(time / dt)` differences — strax's `time // dt` — stay exact.
 */
export class TimeBase {
  readonly parts: Int64Parts;

  constructor(readonly value: bigint) {
    const buf = new DataView(new ArrayBuffer(8));
    buf.setBigInt64(0, value, true);
    this.parts = readParts(buf, 0);
  }

  /** The largest multiple of `dt` not after `t`. */
  static floor(t: bigint, dt: number): TimeBase {
    const d = BigInt(dt);
    const m = ((t % d) + d) % d;
    return new TimeBase(t - m);
  }

  /** `time − base` of the int64 at byte `at`. */
  rel(v: DataView, at: number): number {
    return relTime(v, at, this.parts);
  }

  /** Write `base + rel` as int64 at byte `at`. */
  write(v: DataView, at: number, rel: number): void {
    writeTime(v, at, this.parts, rel);
  }

  relOf(t: bigint): number {
    return Number(t - this.value);
  }
}
