// Blosc-1 frames with blosclz and no shuffle, written exactly as c-blosc 1.21.x (python-blosc 1.11) writes them.
import { FrameError } from '../errors.js';
import { blosclzCompress, blosclzDecompress } from './blosclz.js';

export const BLOSC_MAX_OVERHEAD = 16;
const MIN_BUFFERSIZE = 128;
const MAX_SPLITS = 16;
const MAX_TYPESIZE = 255;
const L1 = 32 * 1024;
const FLAG_SHUFFLE = 0x01;
const FLAG_MEMCPYED = 0x02;
const FLAG_BITSHUFFLE = 0x04;
const FLAG_DONT_SPLIT = 0x10;

/** split_block in the default BLOSC_FORWARD_COMPAT_SPLIT mode (any codec but zstd). */
function splitBlock(typesize: number, blocksize: number): boolean {
  return typesize <= MAX_SPLITS && Math.trunc(blocksize / typesize) >= MIN_BUFFERSIZE;
}

/** compute_blocksize for blosclz (not a high-compression-ratio codec), no forced blocksize. */
export function bloscBlocksize(clevel: number, typesize: number, nbytes: number): number {
  if (nbytes < typesize) return 1;
  let blocksize = nbytes;
  if (nbytes >= L1) {
    const factor = [1 / 4, 1 / 2, 1, 2, 4, 4, 8, 8, 8, 8][clevel]!;
    blocksize = L1 * factor;
  }
  if (clevel > 0 && splitBlock(typesize, blocksize)) {
    if (blocksize > 1 << 18) blocksize = 1 << 18;
    blocksize *= typesize;
    if (blocksize < 1 << 16) blocksize = 1 << 16;
    if (blocksize > 1024 * 1024) blocksize = 1024 * 1024;
  }
  if (blocksize > nbytes) blocksize = nbytes;
  if (blocksize > typesize) blocksize = Math.trunc(blocksize / typesize) * typesize;
  return blocksize;
}

function putU32(b: Uint8Array, p: number, v: number): void {
  b[p] = v & 255;
  b[p + 1] = (v >>> 8) & 255;
  b[p + 2] = (v >>> 16) & 255;
  b[p + 3] = v >>> 24;
}

function getI32(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
}

/**
 * blosc_c for one block: `nsplits` streams, each an i32 length then blosclz bytes, or the raw bytes when blosclz
 * returns 0 or exactly the stream size. Returns the bytes written at `ntbytes`, or 0 when the frame would outgrow
 * `maxbytes` (the whole buffer is then stored MEMCPYED).
 */
function compressBlock(
  data: Uint8Array, start: number, bsize: number, nsplits: number, split: boolean, clevel: number, out: Uint8Array, ntbytes: number, maxbytes: number,
): number {
  const neblock = Math.trunc(bsize / nsplits);
  let ctbytes = 0;
  for (let j = 0; j < nsplits; j++) {
    ntbytes += 4;
    ctbytes += 4;
    let maxout = neblock;
    if (ntbytes + maxout > maxbytes) {
      maxout = maxbytes - ntbytes;
      if (maxout <= 0) return 0;
    }
    const from = start + j * neblock;
    let cbytes = blosclzCompress(clevel, data, from, neblock, out, ntbytes, maxout, split);
    if (cbytes === 0 || cbytes === neblock) {
      if (ntbytes + neblock > maxbytes) return 0;
      out.set(data.subarray(from, from + neblock), ntbytes);
      cbytes = neblock;
    }
    putU32(out, ntbytes - 4, cbytes);
    ntbytes += cbytes;
    ctbytes += cbytes;
  }
  return ctbytes;
}

/**
 * python-blosc's `blosc.compress(data, typesize, clevel, shuffle=False, cname='blosclz')` with one thread: the same
 * blocksize, split flag, streams, raw-stream and MEMCPYED fallbacks, byte for byte. The output buffer is
 * nbytes + 16 like python-blosc's, which decides when the MEMCPYED fallback kicks in.
 */
export function bloscCompressFrame(data: Uint8Array, clevel = 9, typesize = 8): Uint8Array {
  if (!Number.isInteger(clevel) || clevel < 0 || clevel > 9) throw new RangeError(`blosc clevel must be 0..9, not ${clevel}`);
  if (!Number.isInteger(typesize) || typesize <= 0) throw new RangeError(`blosc typesize must be positive, not ${typesize}`);
  if (typesize > MAX_TYPESIZE) typesize = 1;
  const nbytes = data.length;
  const maxbytes = nbytes + BLOSC_MAX_OVERHEAD;
  const out = new Uint8Array(maxbytes);
  const blocksize = bloscBlocksize(clevel, typesize, nbytes);
  const leftover = nbytes % blocksize;
  const nblocks = Math.trunc(nbytes / blocksize) + (leftover > 0 ? 1 : 0);
  const split = splitBlock(typesize, blocksize);
  let flags = split ? 0 : FLAG_DONT_SPLIT; // codec bits 5-7: 0 = blosclz
  if (clevel === 0 || nbytes < MIN_BUFFERSIZE) flags |= FLAG_MEMCPYED;
  out[0] = 2; // blosc format version
  out[1] = 1; // blosclz format version
  out[3] = typesize;
  putU32(out, 4, nbytes);
  putU32(out, 8, blocksize);

  let ntbytes = 0;
  if (!(flags & FLAG_MEMCPYED)) {
    ntbytes = BLOSC_MAX_OVERHEAD + 4 * nblocks;
    for (let j = 0; j < nblocks; j++) {
      putU32(out, BLOSC_MAX_OVERHEAD + 4 * j, ntbytes);
      const last = j === nblocks - 1 && leftover > 0;
      const bsize = last ? leftover : blocksize;
      const nsplits = split && !last ? typesize : 1;
      const cbytes = compressBlock(data, j * blocksize, bsize, nsplits, split, clevel, out, ntbytes, maxbytes);
      if (cbytes === 0) {
        ntbytes = 0; // incompressible: fall back to a plain copy
        break;
      }
      ntbytes += cbytes;
    }
  }
  if (ntbytes === 0) {
    flags |= FLAG_MEMCPYED;
    out.set(data, BLOSC_MAX_OVERHEAD);
    ntbytes = maxbytes;
  }
  out[2] = flags;
  putU32(out, 12, ntbytes);
  return ntbytes === maxbytes ? out : out.subarray(0, ntbytes);
}

/**
 * Decode a whole Blosc-1 frame as c-blosc 1.21's blosc_decompress does, for blosclz or MEMCPYED frames without
 * shuffle. Returns undefined for frames that use another codec, a shuffle filter or another format version (the
 * caller hands those to a full c-blosc). Throws FrameError on anything c-blosc would reject.
 */
export function bloscDecompressFrame(frame: Uint8Array): Uint8Array | undefined {
  if (frame.length < BLOSC_MAX_OVERHEAD) throw new FrameError(`truncated blosc frame (${frame.length} bytes, header needs 16)`);
  const flags = frame[2]!;
  const typesize = frame[3]!;
  const nbytes = getI32(frame, 4);
  const blocksize = getI32(frame, 8);
  const cbytes = getI32(frame, 12);
  const memcpyed = (flags & FLAG_MEMCPYED) !== 0;
  if (frame[0] !== 2 || (!memcpyed && ((flags >> 5) !== 0 || frame[1] !== 1)) || (flags & (FLAG_SHUFFLE | FLAG_BITSHUFFLE)) !== 0) {
    return undefined;
  }
  if (cbytes > frame.length || cbytes < BLOSC_MAX_OVERHEAD) throw new FrameError(`blosc frame says ${cbytes} bytes, the buffer has ${frame.length}`);
  if (nbytes === 0) return new Uint8Array(0);
  if (nbytes < 0 || blocksize <= 0 || blocksize > nbytes || typesize === 0 || (flags & 0x08) !== 0) {
    throw new FrameError(`bad blosc header (nbytes ${nbytes}, blocksize ${blocksize}, typesize ${typesize}, flags 0x${flags.toString(16)})`);
  }
  const out = new Uint8Array(nbytes);
  if (memcpyed) {
    if (nbytes + BLOSC_MAX_OVERHEAD !== cbytes) throw new FrameError(`memcpyed blosc frame of ${cbytes} bytes cannot hold ${nbytes}`);
    out.set(frame.subarray(BLOSC_MAX_OVERHEAD, cbytes));
    return out;
  }
  const leftover = nbytes % blocksize;
  const nblocks = Math.trunc(nbytes / blocksize) + (leftover > 0 ? 1 : 0);
  if (nblocks > Math.trunc((cbytes - BLOSC_MAX_OVERHEAD) / 4)) throw new FrameError(`blosc frame too short for ${nblocks} block offsets`);
  const split = (flags & FLAG_DONT_SPLIT) === 0 && splitBlock(typesize, blocksize);
  for (let j = 0; j < nblocks; j++) {
    const last = j === nblocks - 1 && leftover > 0;
    const bsize = last ? leftover : blocksize;
    const nsplits = split && !last ? typesize : 1;
    const neblock = Math.trunc(bsize / nsplits);
    let src = getI32(frame, BLOSC_MAX_OVERHEAD + 4 * j);
    let op = j * blocksize;
    for (let k = 0; k < nsplits; k++) {
      if (src < 0 || src > cbytes - 4) throw new FrameError(`blosc block ${j} points outside the frame`);
      const n = getI32(frame, src);
      src += 4;
      if (n < 0 || n > cbytes - src) throw new FrameError(`blosc block ${j} stream ${k} runs past the frame`);
      if (n === neblock) out.set(frame.subarray(src, src + n), op);
      else if (blosclzDecompress(frame, src, n, out, op, neblock) !== neblock) throw new FrameError(`corrupt blosclz stream in block ${j}`);
      src += n;
      op += neblock;
    }
  }
  return out;
}
