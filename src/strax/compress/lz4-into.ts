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

/** One compressed block (src[ip..end)) appended to out at op; returns the new output position. */
function decodeBlock(src: Uint8Array, ip: number, end: number, out: Uint8Array, op: number): number {
  const cap = out.length;
  for (;;) {
    if (ip >= end) throw new FrameError('corrupt LZ4 block (ends inside a sequence)');
    const token = src[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b;
      do {
        if (ip >= end) throw new FrameError('corrupt LZ4 block (literal length runs past the block)');
        b = src[ip++]!;
        lit += b;
      } while (b === 255);
    }
    if (lit > 0) {
      if (ip + lit > end || op + lit > cap) throw new FrameError('corrupt LZ4 block (literals run past the block or the output)');
      if (lit < 32) for (let k = 0; k < lit; k++) out[op + k] = src[ip + k]!;
      else out.set(src.subarray(ip, ip + lit), op);
      ip += lit;
      op += lit;
    }
    if (ip === end) return op; // the last sequence has literals only
    if (ip + 2 > end) throw new FrameError('corrupt LZ4 block (truncated match offset)');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    let len = (token & 15) + 4;
    if (len === 19) {
      let b;
      do {
        if (ip >= end) throw new FrameError('corrupt LZ4 block (match length runs past the block)');
        b = src[ip++]!;
        len += b;
      } while (b === 255);
    }
    if (offset === 0 || offset > op) throw new FrameError('corrupt LZ4 block (match before the start of the output)');
    if (op + len > cap) throw new FrameError(`LZ4 frame decodes to more than ${cap} bytes`);
    let from = op - offset;
    if (offset >= len && len >= 32) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      const stop = op + len;
      while (op < stop) out[op++] = out[from++]!;
    }
  }
}
