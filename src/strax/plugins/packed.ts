// Hot-loop helpers for packed strax rows: int64 times as exact doubles relative to a base (no BigInt), growable scratch.

const TWO32 = 4294967296;

/** An int64 time split in 32-bit halves: value = hi·2³² + lo (lo unsigned). */
export interface Int64Parts {
  lo: number;
  hi: number;
}

export function readParts(v: DataView, at: number): Int64Parts {
  return { lo: v.getUint32(at, true), hi: v.getInt32(at + 4, true) };
}

/** `time(at) − base` as a double; exact while the difference stays below 2⁵³ ns (104 days). */
export function relTime(v: DataView, at: number, base: Int64Parts): number {
  return (v.getInt32(at + 4, true) - base.hi) * TWO32 + (v.getUint32(at, true) - base.lo);
}

/** Write base + rel (rel an integer double, |rel| < 2⁵³) as a little-endian int64 at `at`. */
export function writeTime(v: DataView, at: number, base: Int64Parts, rel: number): void {
  const total = base.lo + rel;
  const carry = Math.floor(total / TWO32);
  v.setUint32(at, total - carry * TWO32, true);
  v.setInt32(at + 4, base.hi + carry, true);
}

/** A Float64Array at least `n` long, reusing `a` when it is big enough. */
export function growF64(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  if (a.length >= n) return a;
  const b = new Float64Array(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

export function growI32(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  if (a.length >= n) return a;
  const b = new Int32Array(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

const TWO48 = 2 ** 48;

/**
 * Indices 0…n−1 ordered by ascending key, ties by index (stable). Integer keys in [0, 2⁴⁸) — what the plugins
 * produce — go through a three-pass LSD radix sort (linear); anything else through a comparison sort.
 */
export function sortedOrder(keys: Float64Array, n: number): Int32Array {
  const kind = classify(keys, n);
  if (kind === 0) return Int32Array.from({ length: n }, (_, i) => i);
  if (kind === 2) return Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
  return radixOrder(keys, n);
}

/** 0: already sorted; 1: integer keys in [0, 2⁴⁸) (radix); 2: anything else. */
function classify(keys: Float64Array, n: number): number {
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    if (!(k >= 0 && k < TWO48 && Math.floor(k) === k)) return 2;
    if (i > 0 && k < keys[i - 1]!) sorted = false;
  }
  return sorted ? 0 : 1;
}

/** Three 16-bit digits per key, least significant first; each pass is a stable counting sort. */
function radixOrder(keys: Float64Array, n: number): Int32Array {
  const digits = [new Uint16Array(n), new Uint16Array(n), new Uint16Array(n)] as const;
  splitDigits(keys, n, digits[0], digits[1], digits[2]);
  const count = new Int32Array(65537);
  let src = Int32Array.from({ length: n }, (_, i) => i);
  let dst = new Int32Array(n);
  for (const digit of digits) {
    radixPass(src, dst, digit, count, n);
    [src, dst] = [dst, src];
  }
  return src;
}

function splitDigits(keys: Float64Array, n: number, d0: Uint16Array, d1: Uint16Array, d2: Uint16Array): void {
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    const l = k % TWO32;
    d0[i] = l & 0xffff;
    d1[i] = l >>> 16;
    d2[i] = (k - l) / TWO32;
  }
}

function radixPass(src: Int32Array, dst: Int32Array, digit: Uint16Array, count: Int32Array, n: number): void {
  count.fill(0);
  for (let q = 0; q < n; q++) count[digit[src[q]!]! + 1]!++;
  for (let d = 1; d < 65537; d++) count[d]! += count[d - 1]!;
  for (let q = 0; q < n; q++) {
    const i = src[q]!;
    dst[count[digit[i]!]!++] = i;
  }
}
