// blosclz 2.5.1 (the codec c-blosc 1.21.x bundles): stream compressor and decoder, ported from c-blosc's blosclz.c.
//
// The compressor reproduces c-blosc's output byte for byte: entropy probe (get_cratio) on the last quarter of the
// stream, LZ4-style multiplicative hash of 4 bytes (HASH_LOG 14 from clevel 3 up), ipshift/minlen 3 or 4, the
// maxout limit checks in the same places, and the second hash insert at clevel 9.

const MAX_COPY = 32;
const MAX_DISTANCE = 8191;
const MAX_FARDISTANCE = 65535 + MAX_DISTANCE - 1;
const HASH_LOG = 14;
const HASH_LOG2 = 12;
/** 2654435761 as an int32 for Math.imul. */
const PRIME = 0x9e3779b1 | 0;
/** Minimum probed compression ratio per clevel; below it the stream is declared incompressible (stored raw). */
const CRATIO = [0, 2, 1.5, 1.2, 1.2, 1.2, 1.2, 1.15, 1.1, 1.0];
const HASHLOG = [0, HASH_LOG - 2, HASH_LOG - 1, HASH_LOG, HASH_LOG, HASH_LOG, HASH_LOG, HASH_LOG, HASH_LOG, HASH_LOG];

// Scratch hash tables, reused by every call (JS runs one call at a time).
const htab = new Uint32Array(1 << HASH_LOG);
const probeTab = new Uint16Array(1 << HASH_LOG2);

function hash(seq: number, log: number): number {
  return Math.imul(seq, PRIME) >>> (32 - log);
}

/**
 * c-blosc's get_run / get_match (and their SSE2 variants, which agree): from `ip`, find the first byte that differs
 * from the byte `d` positions earlier. Returns one past it, or `bound` if none differs before `bound`.
 */
function scan(b: Uint8Array, v: DataView, ip: number, bound: number, d: number): number {
  while (ip + 4 <= bound && v.getInt32(ip, true) === v.getInt32(ip - d, true)) ip += 4;
  while (ip < bound && b[ip] === b[ip - d]) ip++;
  return ip < bound ? ip + 1 : bound;
}

/** get_cratio: estimated compression ratio of `maxlen` bytes at `base` (at most the first 4096 are looked at). */
function probeRatio(b: Uint8Array, base: number, maxlen: number, minlen: number, ipshift: number): number {
  const limit = maxlen > 1 << HASH_LOG2 ? 1 << HASH_LOG2 : maxlen;
  const ipBound = base + limit - 1;
  const ipLimit = base + limit - 12;
  probeTab.fill(0);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let ip = base;
  let copy = 4;
  let oc = 5;
  while (ip < ipLimit) {
    const anchor = ip;
    const seq = view.getInt32(ip, true);
    const hval = hash(seq, HASH_LOG2);
    const ref = base + probeTab[hval]!;
    let distance = anchor - ref;
    probeTab[hval] = anchor - base;
    let literal = distance === 0 || distance >= MAX_FARDISTANCE || view.getInt32(ref, true) !== seq;
    let len = 0;
    if (!literal) {
      distance--;
      ip = scan(b, view, anchor + 4, ipBound, distance + 1) - ipshift;
      len = ip - anchor;
      literal = len < minlen;
    }
    if (literal) {
      oc++;
      ip = anchor + 1;
      if (++copy === MAX_COPY) {
        copy = 0;
        oc++;
      }
      continue;
    }
    if (!copy) oc--;
    copy = 0;
    if (len >= 7) oc += Math.floor((len - 7) / 255) + 1;
    oc += distance < MAX_DISTANCE ? 2 : 4;
    probeTab[hash(view.getInt32(ip, true), HASH_LOG2)] = ip - base;
    ip += 2;
    oc++;
  }
  return (ip - base) / oc;
}

/**
 * blosclz_compress: compress `length` bytes of `src` at `start` into `dst` at `dstPos`, writing at most `maxout`
 * bytes. Returns the compressed size, or 0 when the stream is incompressible or does not fit (the caller then stores
 * it raw). `splitBlock` is c-blosc's "blocks are split into typesize streams" flag.
 */
export function blosclzCompress(
  clevel: number, src: Uint8Array, start: number, length: number, dst: Uint8Array, dstPos: number, maxout: number, splitBlock: boolean,
): number {
  const maxlen = Math.trunc(length / 4);
  const cratio = probeRatio(src, start + length - maxlen, maxlen, 3, 3);
  if (cratio < CRATIO[clevel]!) return 0;
  const short = !splitBlock || cratio < 4;
  const ipshift = short ? 3 : 4;
  const minlen = short ? 3 : 4;
  const hashlog = HASHLOG[clevel]!;
  if (length < 16 || maxout < 66) return 0;

  const ipBound = start + length - 1;
  const ipLimit = start + length - 12;
  const opLimit = dstPos + maxout;
  htab.fill(0, 0, 1 << hashlog);
  let ip = start;
  let op = dstPos;
  let copy = 4;
  dst[op++] = MAX_COPY - 1;
  dst[op++] = src[ip++]!;
  dst[op++] = src[ip++]!;
  dst[op++] = src[ip++]!;
  dst[op++] = src[ip++]!;

  const tab = htab;
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  let seq = view.getInt32(ip, true); // the 4 bytes at ip, rolled forward on literals
  while (ip < ipLimit) {
    const anchor = ip;
    const hval = hash(seq, hashlog);
    const ref = start + tab[hval]!;
    let distance = anchor - ref;
    tab[hval] = anchor - start;
    let literal = distance === 0 || distance >= MAX_FARDISTANCE || view.getInt32(ref, true) !== seq;
    let len = 0;
    if (!literal) {
      distance--;
      ip = scan(src, view, anchor + 4, ipBound, distance + 1) - ipshift;
      len = ip - anchor;
      // encoding short lengths is expensive during decompression
      literal = len < minlen || (len <= 5 && distance >= MAX_DISTANCE);
    }
    if (literal) {
      if (op + 2 > opLimit) return 0;
      dst[op++] = src[anchor]!;
      ip = anchor + 1;
      seq = (seq >>> 8) | (src[anchor + 4]! << 24);
      if (++copy === MAX_COPY) {
        copy = 0;
        dst[op++] = MAX_COPY - 1;
      }
      continue;
    }
    // close the pending literal run (its count byte is biased), or drop the unused count byte
    if (copy) dst[op - copy - 1] = copy - 1;
    else op--;
    copy = 0;
    if (distance < MAX_DISTANCE) {
      if (len < 7) {
        if (op + 2 > opLimit) return 0;
        dst[op++] = (len << 5) + (distance >> 8);
        dst[op++] = distance & 255;
      } else {
        if (op + 1 > opLimit) return 0;
        dst[op++] = (7 << 5) + (distance >> 8);
        for (len -= 7; len >= 255; len -= 255) {
          if (op + 1 > opLimit) return 0;
          dst[op++] = 255;
        }
        if (op + 2 > opLimit) return 0;
        dst[op++] = len;
        dst[op++] = distance & 255;
      }
    } else {
      distance -= MAX_DISTANCE;
      if (len < 7) {
        if (op + 4 > opLimit) return 0;
        dst[op++] = (len << 5) + 31;
      } else {
        if (op + 1 > opLimit) return 0;
        dst[op++] = (7 << 5) + 31;
        for (len -= 7; len >= 255; len -= 255) {
          if (op + 1 > opLimit) return 0;
          dst[op++] = 255;
        }
        if (op + 4 > opLimit) return 0;
        dst[op++] = len;
      }
      dst[op++] = 255;
      dst[op++] = distance >> 8;
      dst[op++] = distance & 255;
    }
    // update the hash at the match boundary (twice at clevel 9, the second from the same 4-byte read shifted)
    seq = view.getInt32(ip, true);
    tab[hash(seq, hashlog)] = ip - start;
    ip++;
    if (clevel === 9) tab[hash(seq >>> 8, hashlog)] = ip - start;
    ip++;
    if (op + 1 > opLimit) return 0;
    dst[op++] = MAX_COPY - 1;
    if (ip < ipLimit) seq = view.getInt32(ip, true);
  }

  while (ip <= ipBound) {
    if (op + 2 > opLimit) return 0;
    dst[op++] = src[ip++]!;
    if (++copy === MAX_COPY) {
      copy = 0;
      dst[op++] = MAX_COPY - 1;
    }
  }
  if (copy) dst[op - copy - 1] = copy - 1;
  else op--;
  dst[dstPos] |= 1 << 5; // marker for blosclz
  return op - dstPos;
}

/**
 * blosclz_decompress: decode the `length`-byte stream at `src[ip0]` into `dst` at `op0`, at most `maxout` bytes.
 * Returns the decoded size, or 0 on a corrupt stream (same checks and same early stop as c-blosc).
 */
export function blosclzDecompress(src: Uint8Array, ip0: number, length: number, dst: Uint8Array, op0: number, maxout: number): number {
  if (length === 0) return 0;
  const ipLimit = ip0 + length;
  const opLimit = op0 + maxout;
  const sv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  let ip = ip0;
  let op = op0;
  let ctrl = src[ip++]! & 31;
  for (;;) {
    if (ctrl >= 32) {
      let len = (ctrl >> 5) - 1;
      let ofs = (ctrl & 31) << 8;
      let code: number;
      if (len === 7 - 1) {
        do {
          if (ip + 1 >= ipLimit) return 0;
          code = src[ip++]!;
          len += code;
        } while (code === 255);
      } else if (ip + 1 >= ipLimit) {
        return 0;
      }
      code = src[ip++]!;
      len += 3;
      let ref = op - ofs - code;
      if (code === 255 && ofs === 31 << 8) {
        if (ip + 1 >= ipLimit) return 0;
        ofs = (src[ip]! << 8) + src[ip + 1]!;
        ip += 2;
        ref = op - ofs - MAX_DISTANCE;
      }
      if (op + len > opLimit || ref - 1 < op0) return 0;
      if (ip >= ipLimit) break;
      ctrl = src[ip++]!;
      ref--;
      if (ref === op - 1) {
        dst.fill(dst[ref]!, op, op + len);
        op += len;
      } else {
        // forward copy; 4-byte steps are safe when the source lies at least 4 bytes back
        const end = op + len;
        if (op - ref >= 4) {
          for (; op + 4 <= end; op += 4, ref += 4) dv.setInt32(op, dv.getInt32(ref, true), true);
        }
        while (op < end) dst[op++] = dst[ref++]!;
      }
    } else {
      ctrl++;
      if (op + ctrl > opLimit || ip + ctrl > ipLimit) return 0;
      const end = ip + ctrl;
      for (; ip + 4 <= end; ip += 4, op += 4) dv.setInt32(op, sv.getInt32(ip, true), true);
      while (ip < end) dst[op++] = src[ip++]!;
      if (ip >= ipLimit) break;
      ctrl = src[ip++]!;
    }
  }
  return op - op0;
}
