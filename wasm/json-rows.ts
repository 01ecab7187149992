// Packed strax rows written as JSON objects in WebAssembly, compiled by AssemblyScript (`npm run build:wasm`); driven
// by src/serve/encode-json-wasm.ts, which holds the rows, the field program and the output in the imported memory.
//
// Numbers are written as JavaScript's String(x) writes them (so the text is the same as the JavaScript encoder's):
// integers in decimal, every float as the shortest decimal that reads back as the same double, the one nearest to
// it, the even one on a tie (ECMAScript's Number::toString; Python's repr picks the same digits). The shortest digits
// come from the Ryu method (Ulf Adams, "Ryū: fast float-to-string conversion", PLDI 2018): the value's rounding
// interval is scaled by a 128-bit power of five from a table, and digits are dropped while the interval's ends still
// differ. The tables are computed with exact integers by the caller (powersOfFiveTables in encode-json-wasm.ts).

const MANTISSA_BITS: i32 = 52;
const BIAS: i32 = 1023;
/** Bits of the table entries: 5^i scaled to 2^125 ≤ entry < 2^126 (`POW5`), and 2^k / 5^i likewise (`POW5_INV`). */
export const POW5_BITS: i32 = 125;
export const POW5_INV_BITS: i32 = 125;
/** Entries of each table: enough for every exponent of a double. */
export const POW5_ENTRIES: i32 = 326;
export const POW5_INV_ENTRIES: i32 = 342;

/** Field kinds of the program; the caller uses the same numbers. */
const I1 = 0, U1 = 1, B1 = 2, I2 = 3, U2 = 4, I4 = 5, U4 = 6, I8 = 7, U8 = 8, F4 = 9, F8 = 10;
/** Bytes per field in the program: kind, offset in the row, list length (0: a scalar), key at, key length, element size. */
const OP_BYTES: usize = 24;

let pow5: usize = 0;
let pow5Inv: usize = 0;
/** 32 bytes where a number's digits are put together. */
let scratch: usize = 0;
/** The output position after the last row written by encodeRows. */
export let outPos: usize = 0;

/**
 * Where the tables lie (16 bytes an entry, low word first), and the 32 scratch bytes; the 200 bytes of "00"…"99" are
 * written here, after the scratch bytes.
 */
export function configure(pow5At: usize, pow5InvAt: usize, scratchAt: usize): void {
  pow5 = pow5At;
  pow5Inv = pow5InvAt;
  scratch = scratchAt;
  pairs = scratchAt + 32;
  for (let i: u32 = 0; i < 100; i++) store<u16>(pairs + (<usize>i << 1), (48 + i / 10) | ((48 + i % 10) << 8));
}

// ceil(log2(5^e)) for 1 ≤ e; 1 for e = 0.
@inline function pow5bits(e: i32): i32 {
  return <i32>((<u32>e * 1217359) >> 19) + 1;
}
// floor(log10(2^e)) and floor(log10(5^e)), for 0 ≤ e ≤ 1650.
@inline function log10Pow2(e: i32): i32 {
  return <i32>((<u32>e * 78913) >> 18);
}
@inline function log10Pow5(e: i32): i32 {
  return <i32>((<u32>e * 732923) >> 20);
}

function pow5Factor(v: u64): i32 {
  let count = 0;
  while (true) {
    const q = v / 5;
    if (v - 5 * q != 0) return count;
    v = q;
    count++;
  }
}

@inline function multipleOfPowerOf5(v: u64, p: i32): bool {
  return pow5Factor(v) >= p;
}

@inline function multipleOfPowerOf2(v: u64, p: i32): bool {
  return (v & ((<u64>1 << <u64>p) - 1)) == 0;
}

/** The high 64 bits of the 128-bit product a·b. */
@inline function mulHigh(a: u64, b: u64): u64 {
  const a0 = a & 0xffffffff;
  const a1 = a >> 32;
  const b0 = b & 0xffffffff;
  const b1 = b >> 32;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const middle = ((a0 * b0) >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  return a1 * b1 + (p01 >> 32) + (p10 >> 32) + (middle >> 32);
}

// Quotients by constants as multiplications by their inverses (exact for every 64-bit dividend): WebAssembly's
// 64-bit division is a hardware divide, several times slower.
@inline function div10(x: u64): u64 {
  return mulHigh(x, 0xcccccccccccccccd) >> 3;
}
@inline function div100(x: u64): u64 {
  return mulHigh(x >> 2, 0x28f5c28f5c28f5c3) >> 2;
}
@inline function div1e8(x: u64): u64 {
  return mulHigh(x, 0xabcc77118461cefd) >> 26;
}

/** (m · entry) >> j for the table entry at `at`, m < 2^55, 64 < j < 128. */
@inline function mulShift(m: u64, at: usize, j: i32): u64 {
  const low = load<u64>(at);
  const high = load<u64>(at, 8);
  const carried = mulHigh(m, low);
  const sumLow = m * high + carried;
  const sumHigh = mulHigh(m, high) + (sumLow < carried ? 1 : 0);
  const shift = <u64>(j - 64);
  return (sumHigh << (64 - shift)) | (sumLow >> shift);
}

/** The shortest digits: `digits` · 10^`exponent` is the shortest decimal in the double's rounding interval. */
let digits: u64 = 0;
let exponent: i32 = 0;

function shortest(ieeeMantissa: u64, ieeeExponent: i32): void {
  let e2: i32;
  let m2: u64;
  if (ieeeExponent == 0) {
    e2 = 1 - BIAS - MANTISSA_BITS - 2;
    m2 = ieeeMantissa;
  } else {
    e2 = ieeeExponent - BIAS - MANTISSA_BITS - 2;
    m2 = (<u64>1 << MANTISSA_BITS) | ieeeMantissa;
  }
  const acceptBounds = (m2 & 1) == 0;
  // The interval [mm, mp] around mv = 4·m2, all times 2^e2; its lower half is narrower below a power of two.
  const mv = 4 * m2;
  const mmShift: u64 = ieeeMantissa != 0 || ieeeExponent <= 1 ? 1 : 0;

  let vr: u64, vp: u64, vm: u64;
  let e10: i32;
  let vmIsTrailingZeros = false;
  let vrIsTrailingZeros = false;
  if (e2 >= 0) {
    const q = log10Pow2(e2) - (e2 > 3 ? 1 : 0);
    e10 = q;
    const k = POW5_INV_BITS + pow5bits(q) - 1;
    const j = -e2 + q + k;
    const at = pow5Inv + (<usize>q << 4);
    vr = mulShift(4 * m2, at, j);
    vp = mulShift(4 * m2 + 2, at, j);
    vm = mulShift(4 * m2 - 1 - mmShift, at, j);
    if (q <= 21) {
      // Only here can mv be a multiple of 5^q: then the digits dropped below may all be zeros.
      if (mv % 5 == 0) vrIsTrailingZeros = multipleOfPowerOf5(mv, q);
      else if (acceptBounds) vmIsTrailingZeros = multipleOfPowerOf5(mv - 1 - mmShift, q);
      else vp -= multipleOfPowerOf5(mv + 2, q) ? 1 : 0;
    }
  } else {
    const q = log10Pow5(-e2) - (-e2 > 1 ? 1 : 0);
    e10 = q + e2;
    const i = -e2 - q;
    const k = pow5bits(i) - POW5_BITS;
    const j = q - k;
    const at = pow5 + (<usize>i << 4);
    vr = mulShift(4 * m2, at, j);
    vp = mulShift(4 * m2 + 2, at, j);
    vm = mulShift(4 * m2 - 1 - mmShift, at, j);
    if (q <= 1) {
      // mv has at least q trailing zero bits, so the digits dropped are all zeros.
      vrIsTrailingZeros = true;
      if (acceptBounds) vmIsTrailingZeros = mmShift == 1;
      else vp--;
    } else if (q < 63) {
      vrIsTrailingZeros = multipleOfPowerOf2(mv, q);
    }
  }

  // Drop digits while the interval's ends still differ in what is left.
  let removed: i32 = 0;
  let lastRemovedDigit: u64 = 0;
  let output: u64;
  if (vmIsTrailingZeros || vrIsTrailingZeros) {
    // Rare: an end of the interval may be exact, and a tie may round to even. Once the ends agree in what is left
    // (they then agree ever after), digits go on being dropped while the lower end, exact, ends in zeros.
    while (vp / 10 > vm / 10 || (vmIsTrailingZeros && vm % 10 == 0)) {
      vmIsTrailingZeros = vmIsTrailingZeros && vm % 10 == 0;
      vrIsTrailingZeros = vrIsTrailingZeros && lastRemovedDigit == 0;
      lastRemovedDigit = vr % 10;
      vr /= 10;
      vp /= 10;
      vm /= 10;
      removed++;
    }
    if (vrIsTrailingZeros && lastRemovedDigit == 5 && vr % 2 == 0) lastRemovedDigit = 4;
    output = vr + ((vr == vm && (!acceptBounds || !vmIsTrailingZeros)) || lastRemovedDigit >= 5 ? 1 : 0);
  } else {
    let roundUp = false;
    const vpDiv100 = div100(vp);
    const vmDiv100 = div100(vm);
    if (vpDiv100 > vmDiv100) {
      const vrDiv100 = div100(vr);
      roundUp = vr - 100 * vrDiv100 >= 50;
      vr = vrDiv100;
      vp = vpDiv100;
      vm = vmDiv100;
      removed += 2;
    }
    while (true) {
      const vpDiv10 = div10(vp);
      const vmDiv10 = div10(vm);
      if (vpDiv10 <= vmDiv10) break;
      const vrDiv10 = div10(vr);
      roundUp = vr - 10 * vrDiv10 >= 5;
      vr = vrDiv10;
      vp = vpDiv10;
      vm = vmDiv10;
      removed++;
    }
    output = vr + (vr == vm || roundUp ? 1 : 0);
  }
  digits = output;
  exponent = e10 + removed;
}

/** Decimal digits of v < 10^17. */
@inline function decimalLength(v: u64): i32 {
  if (v < 100000000) {
    const w = <u32>v;
    if (w < 10000) return w < 100 ? (w < 10 ? 1 : 2) : w < 1000 ? 3 : 4;
    return w < 1000000 ? (w < 100000 ? 5 : 6) : w < 10000000 ? 7 : 8;
  }
  if (v < 10000000000000000) {
    const w = <u32>div1e8(v);
    if (w < 10000) return w < 100 ? (w < 10 ? 9 : 10) : w < 1000 ? 11 : 12;
    return w < 1000000 ? (w < 100000 ? 13 : 14) : w < 10000000 ? 15 : 16;
  }
  return 17;
}

/** "00" to "99", two bytes each. */
let pairs: usize = 0;

/** `count` digits of v (zero-padded), ending just before `end`: two at a time. */
@inline function digitsBefore(end: usize, v: u32, count: i32): void {
  while (count >= 2) {
    const q = v / 100;
    end -= 2;
    store<u16>(end, load<u16>(pairs + ((<usize>(v - 100 * q)) << 1)));
    v = q;
    count -= 2;
  }
  if (count) store<u8>(end - 1, 48 + v % 10);
}

/** Eight digits of v < 10^8 at p, zero-padded. */
@inline function eightDigits(p: usize, v: u32): void {
  const high = v / 10000;
  const low = v - 10000 * high;
  const h1 = high / 100;
  const l1 = low / 100;
  store<u16>(p, load<u16>(pairs + (<usize>h1 << 1)));
  store<u16>(p, load<u16>(pairs + (<usize>(high - 100 * h1) << 1)), 2);
  store<u16>(p, load<u16>(pairs + (<usize>l1 << 1)), 4);
  store<u16>(p, load<u16>(pairs + (<usize>(low - 100 * l1) << 1)), 6);
}

/** The `length` decimal digits of v < 10^17, at p. */
function writeDigitsOf(p: usize, v: u64, length: i32): void {
  if (length <= 8) {
    digitsBefore(p + length, <u32>v, length);
    return;
  }
  const high = div1e8(v);
  eightDigits(p + length - 8, <u32>(v - high * 100000000));
  if (length < 17) {
    digitsBefore(p + length - 8, <u32>high, length - 8);
    return;
  }
  const first = <u32>high / 100000000; // the most common length of a float's digits
  store<u8>(p, 48 + first);
  eightDigits(p + 1, <u32>high - 100000000 * first);
}

/** An unsigned 64-bit integer in decimal. */
function writeU64(p: usize, v: u64): usize {
  if (v < 10000000000000000) {
    const n = decimalLength(v);
    writeDigitsOf(p, v, n);
    return p + n;
  }
  const high = v / 10000000000000000;
  const n = decimalLength(high);
  writeDigitsOf(p, high, n);
  writeDigitsOf(p + n, v - high * 10000000000000000, 16);
  return p + n + 16;
}

function writeI64(p: usize, v: i64): usize {
  if (v < 0) {
    store<u8>(p++, 45);
    return writeU64(p, <u64>(-v)); // -(-2^63) wraps to 2^63, which is right as unsigned
  }
  return writeU64(p, <u64>v);
}

@inline function writeNull(p: usize): usize {
  store<u32>(p, 0x6c6c756e); // "null"
  return p + 4;
}

/** A double as String(x) writes it, except NaN and ±Infinity, which JSON writes as null. */
function writeDouble(p: usize, x: f64): usize {
  const bits = reinterpret<u64>(x);
  const ieeeExponent = <i32>((bits >> MANTISSA_BITS) & 0x7ff);
  const ieeeMantissa = bits & ((<u64>1 << MANTISSA_BITS) - 1);
  if (ieeeExponent == 0x7ff) return writeNull(p);
  if (ieeeExponent == 0 && ieeeMantissa == 0) {
    store<u8>(p, 48); // both zeros are "0"
    return p + 1;
  }
  if (bits >> 63) store<u8>(p++, 45);
  // Integers below 2^53: all their digits, as the shortest decimal has them.
  const e = ieeeExponent - BIAS;
  if (e >= 0 && e <= MANTISSA_BITS) {
    const m2 = (<u64>1 << MANTISSA_BITS) | ieeeMantissa;
    const drop = <u64>(MANTISSA_BITS - e);
    if ((m2 & ((<u64>1 << drop) - 1)) == 0) return writeU64(p, m2 >> drop);
  }
  shortest(ieeeMantissa, ieeeExponent);
  const k = decimalLength(digits);
  const n = exponent + k; // the decimal point's place: value = 0.d1d2…dk · 10^n
  if (k <= n && n <= 21) {
    writeDigitsOf(p, digits, k);
    p += k;
    for (let z = k; z < n; z++) store<u8>(p++, 48);
    return p;
  }
  if (0 < n && n <= 21) {
    // All digits one place to the right, then the integer part back one place, and the point between.
    writeDigitsOf(p + 1, digits, k);
    for (let z = 0; z < n; z++) store<u8>(p + z, load<u8>(p + z + 1));
    store<u8>(p + n, 46);
    return p + k + 1;
  }
  if (-6 < n && n <= 0) {
    store<u16>(p, 0x2e30); // "0."
    p += 2;
    for (let z = 0; z < -n; z++) store<u8>(p++, 48);
    writeDigitsOf(p, digits, k);
    return p + k;
  }
  writeDigitsOf(scratch, digits, k);
  store<u8>(p++, load<u8>(scratch));
  if (k > 1) {
    store<u8>(p++, 46);
    memory.copy(p, scratch + 1, k - 1);
    p += k - 1;
  }
  store<u8>(p++, 101); // 'e'
  const e10 = n - 1;
  store<u8>(p++, e10 < 0 ? 45 : 43);
  return writeU64(p, <u64>(e10 < 0 ? -e10 : e10));
}

/** One element of a field's kind at `at`. */
@inline function writeValue(kind: i32, at: usize, p: usize): usize {
  switch (kind) {
    case I1: return writeI64(p, <i64>load<i8>(at));
    case U1: return writeU64(p, <u64>load<u8>(at));
    case B1: {
      if (load<u8>(at)) {
        store<u32>(p, 0x65757274); // "true"
        return p + 4;
      }
      store<u32>(p, 0x736c6166); // "fals" then "e"
      store<u8>(p + 4, 101);
      return p + 5;
    }
    case I2: return writeI64(p, <i64>load<i16>(at));
    case U2: return writeU64(p, <u64>load<u16>(at));
    case I4: return writeI64(p, <i64>load<i32>(at));
    case U4: return writeU64(p, <u64>load<u32>(at));
    case I8: return writeI64(p, load<i64>(at));
    case U8: return writeU64(p, load<u64>(at));
    case F4: return writeDouble(p, <f64>load<f32>(at));
    default: return writeDouble(p, load<f64>(at));
  }
}

/**
 * Writes rows [0, n) of `rows` (`size` bytes each) as JSON objects by the program of `fields` fields at `program`,
 * from `out` on, each after a comma unless `first` and it is the first; stops before a row once `full` is reached or
 * when the row might not fit below `end` (each takes at most `maxRow` bytes with its comma). Returns the rows
 * written; outPos is the position after them.
 */
export function encodeRows(rows: usize, n: i32, size: i32, program: usize, fields: i32, out: usize, full: usize, end: usize, maxRow: i32, first: bool): i32 {
  let p = out;
  let i = 0;
  for (; i < n; i++) {
    if (p >= full || p + <usize>maxRow > end) break;
    if (i > 0 || !first) store<u8>(p++, 44);
    const row = rows + <usize>i * <usize>size;
    for (let f = 0; f < fields; f++) {
      const op = program + <usize>f * OP_BYTES;
      const kind = load<i32>(op);
      const at = row + <usize>load<i32>(op, 4);
      const count = load<i32>(op, 8);
      const keyLength = load<i32>(op, 16);
      // Keys are short: copied 8 bytes at a time, up to 7 past the key (the output has room; the value overwrites them).
      const key = <usize>load<i32>(op, 12);
      for (let c: i32 = 0; c < keyLength; c += 8) store<u64>(p + <usize>c, load<u64>(key + <usize>c));
      p += keyLength;
      if (count == 0) {
        p = writeValue(kind, at, p);
        continue;
      }
      const step = <usize>load<i32>(op, 20);
      store<u8>(p++, 91); // '['
      for (let j = 0; j < count; j++) {
        if (j > 0) store<u8>(p++, 44);
        p = writeValue(kind, at + <usize>j * step, p);
      }
      store<u8>(p++, 93);
    }
    store<u8>(p++, 125); // '}'
  }
  outPos = p;
  return i;
}

/** One double as writeDouble writes it, at p; returns the position after it (for scripts/check-json-floats.mjs). */
export function formatDouble(p: usize, x: f64): usize {
  return writeDouble(p, x);
}
