// LZ4 frame decoding into a buffer the caller owns (lz4-napi only returns fresh buffers). A server sending chunk
// after chunk can then decode each into one of a few reused buffers: no fresh pages to fault in and no external memory
// for the garbage collector per chunk. Frames with checksums are left to lz4-napi, which verifies them.
import { FrameError } from '../errors.js';

const MAGIC = 0x184d2204;

/** Whether decodeLz4FrameInto can decode this frame (no checksums, no dictionary); the frame is not walked. */
export function lz4FrameDecodableInto(frame: Uint8Array): boolean {
  if (frame.length < 7) return false;
  const flg = frame[4]!;
  return (flg & 0x15) === 0; // block checksums, content checksum, dictionary id
}

/**
 * Decode one whole LZ4 frame into out, which must receive exactly out.length bytes. Throws FrameError on any
 * malformed input (bad magic, truncation, a match before the start, output other than out.length bytes, bytes after
 * the end mark).
 */
export function decodeLz4FrameInto(frame: Uint8Array, out: Uint8Array): void {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 7 || view.getUint32(0, true) !== MAGIC) throw new FrameError('not an LZ4 frame (bad magic)');
  const flg = frame[4]!;
  if (flg >> 6 !== 1) throw new FrameError(`unsupported LZ4 frame version ${flg >> 6}`);
  if ((flg & 0x15) !== 0) throw new FrameError('LZ4 frame with checksums or a dictionary: decode it with lz4-napi');
  let pos = 6 + ((flg & 0x08) !== 0 ? 8 : 0) + 1;
  let op = 0;
  for (;;) {
    if (pos + 4 > frame.length) throw new FrameError('truncated LZ4 frame (no end mark)');
    const word = view.getUint32(pos, true);
    pos += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (pos + size > frame.length) throw new FrameError('truncated LZ4 frame (block runs past the end)');
    if (word >>> 31) {
      if (op + size > out.length) throw new FrameError(`LZ4 frame decodes to more than ${out.length} bytes`);
      out.set(frame.subarray(pos, pos + size), op);
      op += size;
    } else {
      op = decodeBlock(frame, pos, pos + size, out, op);
    }
    pos += size;
  }
  if (pos !== frame.length) throw new FrameError(`${frame.length - pos} bytes follow the LZ4 end mark (a second frame?); strax would drop them`);
  if (op !== out.length) throw new FrameError(`LZ4 frame decoded to ${op} bytes, expected ${out.length}`);
}

/** Literal runs up to this length are copied 4 bytes at a time; longer ones with TypedArray.set. */
const SHORT_LITERAL = 32;
/** Matches from this length on are copied with copyWithin (in doubling spans where the match overlaps its source). */
const LONG_MATCH = 32;

/**
 * One compressed block (src[ip..end)) appended to out at op; returns the new output position.
 *
 * Rows of a few dozen bytes compress to sequences of ~3 literal bytes and ~12-byte matches, so the cost is per
 * sequence, not per byte: short literals and matches are copied 4 or 8 bytes at a time through DataViews (inlined by
 * V8), possibly writing up to 7 bytes past the copy's end, which is done only where out has room for them (they are
 * overwritten by the next sequence; nothing reads them before). A short match with offset < 4 overlaps its own 4-byte
 * reads and is copied byte by byte.
 */
function decodeBlock(src: Uint8Array, ip: number, end: number, out: Uint8Array, op: number): number {
  const cap = out.length;
  const srcLength = src.length;
  const sv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const ov = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (;;) {
    if (ip >= end) throw new FrameError('corrupt LZ4 block (ends inside a sequence)');
    const token = src[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      const more = lengthExtension(src, ip, end, 'literal');
      lit += more;
      ip += extensionBytes(more);
    }
    if (lit > 0) {
      if (ip + lit > end || op + lit > cap) throw new FrameError('corrupt LZ4 block (literals run past the block or the output)');
      if (lit <= SHORT_LITERAL && op + lit + 3 <= cap && ip + lit + 3 <= srcLength) {
        for (let k = 0; k < lit; k += 4) ov.setUint32(op + k, sv.getUint32(ip + k, true), true);
      } else if (lit < SHORT_LITERAL) {
        for (let k = 0; k < lit; k++) out[op + k] = src[ip + k]!;
      } else {
        out.set(src.subarray(ip, ip + lit), op);
      }
      ip += lit;
      op += lit;
    }
    if (ip === end) return op; // the last sequence has literals only
    if (ip + 2 > end) throw new FrameError('corrupt LZ4 block (truncated match offset)');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    let len = (token & 15) + 4;
    if (len === 19) {
      const more = lengthExtension(src, ip, end, 'match');
      len += more;
      ip += extensionBytes(more);
    }
    if (offset === 0 || offset > op) throw new FrameError('corrupt LZ4 block (match before the start of the output)');
    const stop = op + len;
    if (stop > cap) throw new FrameError(`LZ4 frame decodes to more than ${cap} bytes`);
    let from = op - offset;
    if (len >= LONG_MATCH) {
      // The period, then twice it, and so on: each span copied is already final, so overlapping matches (runs of
      // zeros, repeated rows) take a few copyWithin calls instead of one step per 8 bytes.
      for (let span = offset; op < stop; span += span) {
        const n = Math.min(span, stop - op);
        out.copyWithin(op, from, from + n);
        op += n;
      }
    } else if (offset >= 4 && stop + 3 <= cap) {
      // Each 4-byte read ends at or before op, i.e. in bytes already final: the same bytes as a byte-wise copy.
      if (offset >= 8 && stop + 7 <= cap) {
        for (; op < stop; op += 8, from += 8) {
          ov.setUint32(op, ov.getUint32(from, true), true);
          ov.setUint32(op + 4, ov.getUint32(from + 4, true), true);
        }
      } else {
        for (; op < stop; op += 4, from += 4) ov.setUint32(op, ov.getUint32(from, true), true);
      }
    } else {
      while (op < stop) out[op++] = out[from++]!;
    }
    op = stop;
  }
}

/**
 * A length field's extension: bytes from src[ip] added up until one below 255 (LZ4's "15 means more follow"). The
 * caller learns how many bytes it read from the sum itself (extensionBytes), so the hot loop keeps plain numbers.
 */
function lengthExtension(src: Uint8Array, ip: number, end: number, what: 'literal' | 'match'): number {
  let sum = 0;
  let b;
  do {
    if (ip >= end) throw new FrameError(`corrupt LZ4 block (${what} length runs past the block)`);
    b = src[ip++]!;
    sum += b;
  } while (b === 255);
  return sum;
}

/** How many bytes an extension summing to `sum` took: 255 for each full byte, then the last one (below 255). */
function extensionBytes(sum: number): number {
  return Math.floor(sum / 255) + 1;
}
