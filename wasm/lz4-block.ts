// One LZ4 block (the LZ4 block format inside an LZ4 frame) decoded in WebAssembly, compiled by AssemblyScript
// (`npm run build:wasm`). The caller (src/strax/compress/lz4-into.ts) walks the frame in JavaScript and calls this for
// each compressed block; the block and the output both lie in the memory the caller imports.
//
// Rows of a few dozen bytes compress to sequences of a few literal bytes and a short match, so the cost is per
// sequence: literals and matches are copied 16 or 8 bytes at a time, writing up to 31 bytes past the copy's end where
// the output has room for them (the next sequence overwrites them; nothing reads them before). A match whose offset is
// shorter than the step reads bytes it is writing, so it is copied byte by byte, or, when long (runs of zeros,
// repeated rows), in doubling spans that never overlap.

/** Returned for a block that ends inside a sequence. */
const ENDS_INSIDE: isize = -1;
/** Returned when a literal or match length's extension runs past the block. */
const LENGTH_PAST_BLOCK: isize = -2;
/** Returned when literals run past the block or the output. */
const LITERALS_PAST_END: isize = -3;
/** Returned when a match offset is cut off by the end of the block. */
const OFFSET_TRUNCATED: isize = -4;
/** Returned when a match starts before the start of the output. */
const MATCH_BEFORE_START: isize = -5;
/** Returned when the block decodes past the end of the output. */
const OUTPUT_OVERFLOW: isize = -6;

@inline function copy16(dst: usize, src: usize): void {
  v128.store(dst, v128.load(src));
}

/** A length's extension bytes (each 255 means another follows) added to `length`; moves `cursor` past them. */
let cursor: usize = 0;
@inline function extended(length: usize, end: usize): isize {
  let b: usize;
  do {
    if (cursor >= end) return LENGTH_PAST_BLOCK;
    b = <usize>load<u8>(cursor++);
    length += b;
  } while (b == 255);
  return <isize>length;
}

/**
 * Decodes the block [ip, end) to the output position `op`, inside the output [base, cap): matches may reach back to
 * `base`, nothing is written at or past `cap` except by the wild copies, which stay below `cap` too. Returns the
 * output position after the block, or one of the negative codes above.
 */
export function decodeBlock(ip: usize, end: usize, base: usize, op: usize, cap: usize): isize {
  while (true) {
    if (ip >= end) return ENDS_INSIDE;
    const token = <usize>load<u8>(ip++);
    let lit = token >> 4;
    if (lit == 15) {
      cursor = ip;
      const n = extended(lit, end);
      if (n < 0) return n;
      lit = <usize>n;
      ip = cursor;
    }
    if (lit > end - ip || lit > cap - op) return LITERALS_PAST_END;
    // Also when there are no literals (half of the sequences of raw records): one copy costs less than a mispredicted branch.
    // Reads up to 16 bytes past the block (a token without literals at its very end): the caller leaves 16 free.
    if (lit <= 16 && cap - op >= 16) copy16(op, ip);
    else memory.copy(op, ip, lit);
    ip += lit;
    op += lit;
    if (ip == end) return <isize>op; // the last sequence has literals only
    if (end - ip < 2) return OFFSET_TRUNCATED;
    const offset = <usize>load<u16>(ip);
    ip += 2;
    let len = (token & 15) + 4;
    if (len == 19) {
      cursor = ip;
      const n = extended(len, end);
      if (n < 0) return n;
      len = <usize>n;
      ip = cursor;
    }
    if (offset == 0 || offset > op - base) return MATCH_BEFORE_START;
    if (len > cap - op) return OUTPUT_OVERFLOW;
    const stop = op + len;
    let from = op - offset;
    if (offset >= 16 && cap - op >= 48) {
      // Most matches of row data are 8–31 bytes long: two copies without a loop, then the rest of a longer one.
      copy16(op, from);
      copy16(op + 16, from + 16);
      if (len > 32) {
        op += 32;
        from += 32;
        do {
          copy16(op, from);
          op += 16;
          from += 16;
        } while (op < stop);
      }
    } else if (offset >= 16 && cap - stop >= 16) {
      // Each 16-byte read ends at or before op, in bytes already final: the same bytes as a byte-wise copy.
      do {
        copy16(op, from);
        op += 16;
        from += 16;
      } while (op < stop);
    } else if (offset >= len) {
      memory.copy(op, from, len);
    } else if (len >= 32) {
      // The period, then twice it, and so on: each span copied is already final.
      for (let span = offset; op < stop; span += span) {
        const n = min(span, stop - op);
        memory.copy(op, from, n);
        op += n;
      }
    } else if (offset >= 8 && cap - stop >= 8) {
      do {
        store<u64>(op, load<u64>(from));
        op += 8;
        from += 8;
      } while (op < stop);
    } else {
      while (op < stop) store<u8>(op++, load<u8>(from++));
    }
    op = stop;
  }
}
