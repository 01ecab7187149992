// Rows of a DAQ chunk while DAQReader's rules are applied: they stay in the decoded files (as 32-bit words) and are
// handled through a Selection (which file and row, in which order, with times and channels as numbers).
import { DataCorruptedError } from '../errors.js';
import { ARTIFICIAL_DEADTIME_CHANNEL, DAQ_RECORD } from './daq-live.js';

export const SIZE = DAQ_RECORD.itemsize;
/** A raw_record is 61 little-endian 32-bit words: time lo, time hi, length, dt | channel << 16, … */
export const WORDS = SIZE / 4;
export const TWO32 = 4294967296;

/** A decoded file as 32-bit words (copied once if the decoder's buffer is not 4-byte aligned). */
export function words(bytes: Uint8Array): Int32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  return new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}

/**
 * Rows held in decoded files (parts), in a chosen order — part and row of each — with their times, end times and
 * channels as numbers (exact: relative times stay below 2⁵³ ns). Rows are gathered into output arrays only once.
 */
export class Selection {
  constructor(
    readonly parts: Int32Array[],
    readonly part: Uint16Array,
    readonly row: Uint32Array,
    readonly time: Float64Array,
    readonly endtime: Float64Array,
    readonly channel: Int16Array,
  ) {}

  get n(): number {
    return this.row.length;
  }

  static of(parts: Int32Array[], where: string): Selection {
    const n = parts.reduce((a, p) => a + p.length / WORDS, 0);
    const sel = new Selection(parts, new Uint16Array(n), new Uint32Array(n), new Float64Array(n), new Float64Array(n), new Int16Array(n));
    let k = 0;
    parts.forEach((w, p) => {
      for (let r = 0; r < w.length / WORDS; r++, k++) {
        const o = r * WORDS;
        const hi = w[o + 1]!;
        if (hi >= 2 ** 21 || hi < -(2 ** 21)) throw new DataCorruptedError(where, `a record has time ${BigInt(hi) * 2n ** 32n + BigInt(w[o]! >>> 0)} ns: live times are relative to the run start and must stay below 2^53 ns`);
        const t = hi * TWO32 + (w[o]! >>> 0);
        sel.part[k] = p;
        sel.row[k] = r;
        sel.time[k] = t;
        sel.endtime[k] = t + w[o + 2]! * ((w[o + 3]! << 16) >> 16);
        sel.channel[k] = w[o + 3]! >> 16;
      }
    });
    return sel;
  }

  /** The rows at `order` (indices into this selection), in that order. */
  pick(order: ArrayLike<number>): Selection {
    const n = order.length;
    const sel = new Selection(this.parts, new Uint16Array(n), new Uint32Array(n), new Float64Array(n), new Float64Array(n), new Int16Array(n));
    for (let i = 0; i < n; i++) {
      const j = order[i]!;
      sel.part[i] = this.part[j]!;
      sel.row[i] = this.row[j]!;
      sel.time[i] = this.time[j]!;
      sel.endtime[i] = this.endtime[j]!;
      sel.channel[i] = this.channel[j]!;
    }
    return sel;
  }

  range(from: number, to: number): Selection {
    return new Selection(this.parts, this.part.subarray(from, to), this.row.subarray(from, to), this.time.subarray(from, to), this.endtime.subarray(from, to), this.channel.subarray(from, to));
  }

  private before(a: number, b: number): boolean {
    return this.time[a]! < this.time[b]! || (this.time[a] === this.time[b] && this.channel[a]! < this.channel[b]!);
  }

  /**
   * strax.sort_by_time: a stable sort by (time, channel). A few sorted runs (fake-daq's files, one per thread) are
   * merged, the earlier run first on ties; anything else is sorted with the position as the last key.
   */
  sorted(): Selection {
    const starts = [0];
    for (let i = 1; i < this.n; i++) if (this.before(i, i - 1)) starts.push(i);
    if (starts.length === 1) return this;
    starts.push(this.n);
    if (starts.length > 33) {
      const idx = Array.from({ length: this.n }, (_, i) => i);
      idx.sort((a, b) => this.time[a]! - this.time[b]! || this.channel[a]! - this.channel[b]! || a - b);
      return this.pick(idx);
    }
    const heads = starts.slice(0, -1);
    const merged = new Uint32Array(this.n);
    for (let k = 0; k < this.n; k++) {
      let best = -1;
      for (let h = 0; h < heads.length; h++) if (heads[h]! < starts[h + 1]! && (best < 0 || this.before(heads[h]!, heads[best]!))) best = h;
      merged[k] = heads[best]!++;
    }
    return this.pick(merged);
  }

  /** This selection followed by `other` (parts concatenated). */
  concat(other: Selection): Selection {
    const parts = [...this.parts, ...other.parts];
    const n = this.n + other.n;
    const sel = new Selection(parts, new Uint16Array(n), new Uint32Array(n), new Float64Array(n), new Float64Array(n), new Int16Array(n));
    sel.part.set(this.part);
    for (let i = 0; i < other.n; i++) sel.part[this.n + i] = other.part[i]! + this.parts.length;
    sel.row.set(this.row);
    sel.row.set(other.row, this.n);
    sel.time.set(this.time);
    sel.time.set(other.time, this.n);
    sel.endtime.set(this.endtime);
    sel.endtime.set(other.endtime, this.n);
    sel.channel.set(this.channel);
    sel.channel.set(other.channel, this.n);
    return sel;
  }
}

export const EMPTY = Selection.of([], '');

/** DAQReader's artificial-deadtime record: time, length, dt and channel 799, every other field 0. */
export function deadtimeRecord(time: number, length: number, dt: number): Uint8Array {
  const out = new Uint8Array(SIZE);
  const v = new DataView(out.buffer);
  v.setBigInt64(0, BigInt(time), true);
  v.setInt32(8, length, true);
  v.setInt16(12, dt, true);
  v.setInt16(14, ARTIFICIAL_DEADTIME_CHANNEL, true);
  return out;
}

export function deadtime(time: number, length: number, dt: number): Selection {
  return Selection.of([words(deadtimeRecord(time, length, dt))], 'deadtime');
}
