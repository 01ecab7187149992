// strax.sort_by_time for hit-like rows: by time, then channel, stable (a linear radix sort of integer keys).
import { sortedOrder } from '../packed.js';
import { fieldOffsets, viewOf, type TimeBase } from './fields.js';
import { HIT } from './find-hits.js';

const AT = fieldOffsets(HIT, ['time', 'channel']);

/** Rows of 48-byte hits (as 12 int32 words each) in the order `order`; runs already in order are copied in one go. */
export function permuteHitRows(words: Int32Array, order: Int32Array, n: number): Uint8Array {
  const out = new Int32Array(n * 12);
  for (let k = 0; k < n; ) {
    const h = order[k]!;
    let run = 1;
    while (k + run < n && order[k + run] === h + run) run++;
    if (run >= 4) out.set(words.subarray(h * 12, (h + run) * 12), k * 12);
    else for (let q = 0; q < run; q++) for (let w = 0; w < 12; w++) out[(k + q) * 12 + w] = words[(h + q) * 12 + w]!;
    k += run;
  }
  return new Uint8Array(out.buffer);
}

/** (time − base)·4096 + channel of each hit row: the sort key of strax.sort_by_time (channels below 4096). */
export function timeChannelKeys(hits: Uint8Array, base: TimeBase): Float64Array {
  const n = hits.length / HIT.itemsize;
  const v = viewOf(hits);
  const keys = new Float64Array(n);
  for (let i = 0, o = 0; i < n; i++, o += HIT.itemsize) keys[i] = base.rel(v, o + AT.time) * 4096 + v.getInt16(o + AT.channel, true);
  return keys;
}

/**
 * Stable order of nearly sorted keys by insertion (hitlets: hits moved left by at most their left extension), or
 * undefined once it has moved more than 16 elements per key on average (then a radix sort is cheaper).
 */
function insertionOrder(keys: Float64Array, n: number): Int32Array | undefined {
  const order = new Int32Array(n);
  let moves = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    let j = i;
    while (j > 0 && keys[order[j - 1]!]! > k) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = i;
    moves += i - j;
    if (moves > 16 * n) return undefined;
  }
  return order;
}

/** A new array of the hit rows sorted by (time, channel), stable. */
export function sortHitsByTime(hits: Uint8Array, base: TimeBase): Uint8Array {
  const n = hits.length / HIT.itemsize;
  return permuteHitRows(hitWords(hits), nearlySortedOrder(timeChannelKeys(hits, base), n), n);
}

/** Stable ascending order of the first n keys: by insertion when they are nearly sorted, else by radix sort. */
export function nearlySortedOrder(keys: Float64Array, n: number): Int32Array {
  return insertionOrder(keys, n) ?? sortedOrder(keys, n);
}

/** The rows as 32-bit words (copied once if the view is not 4-byte aligned). */
export function hitWords(hits: Uint8Array): Int32Array {
  return hits.byteOffset % 4 === 0 ? new Int32Array(hits.buffer, hits.byteOffset, hits.length >> 2) : new Int32Array(hits.slice().buffer);
}
