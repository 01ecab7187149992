// Blosc-1 frames via numcodecs' c-blosc WebAssembly build; header checked against file size and n × itemsize.
import Blosc from 'numcodecs/blosc';
import { FrameError } from '../errors.js';
import type { Compressor } from './types.js';

/** python-blosc's hard limit (strax raises ValueError at or above it). */
export const BLOSC_MAX_BUFFERSIZE = 2147483631;

export interface BloscHeader {
  version: number;
  flags: number;
  typesize: number;
  nbytes: number;
  blocksize: number;
  cbytes: number;
}

export function readBloscHeader(frame: Uint8Array): BloscHeader {
  if (frame.length < 16) throw new FrameError(`truncated blosc frame (${frame.length} bytes, header needs 16)`);
  const v = new DataView(frame.buffer, frame.byteOffset, 16);
  const h = { version: frame[0]!, flags: frame[2]!, typesize: frame[3]!, nbytes: v.getUint32(4, true), blocksize: v.getUint32(8, true), cbytes: v.getUint32(12, true) };
  if (h.version === 0 || h.version > 4 || frame[1] === 0) throw new FrameError('not a Blosc buffer (bad header)');
  return h;
}

/**
 * Writes blosclz, clevel 9, no shuffle like strax. numcodecs' encoder fixes typesize at 4 (python-blosc uses 8), so
 * the frames differ from strax's byte-wise but are standard Blosc-1 frames that python-blosc decodes.
 */
export function bloscCompressor(clevel = 9, cname = 'blosclz'): Compressor {
  const codec = new Blosc(clevel, cname, Blosc.NOSHUFFLE, 0);
  return {
    name: 'blosc',
    async compress(data) {
      if (data.length >= BLOSC_MAX_BUFFERSIZE) throw new RangeError(`blosc cannot compress ${data.length} bytes (limit ${BLOSC_MAX_BUFFERSIZE - 1})`);
      return codec.encode(data);
    },
    async decompress(frame, expectedBytes) {
      const h = readBloscHeader(frame);
      if (h.cbytes > frame.length) throw new FrameError(`truncated blosc frame (${frame.length} of ${h.cbytes} bytes)`);
      if (h.cbytes < frame.length) {
        throw new FrameError(`${frame.length - h.cbytes} bytes follow the blosc frame (a second frame?); strax cannot read it`);
      }
      if (h.nbytes !== expectedBytes) throw new FrameError(`blosc frame holds ${h.nbytes} bytes, expected ${expectedBytes}`);
      let out: Uint8Array;
      try {
        out = await codec.decode(frame);
      } catch (error) {
        throw new FrameError(`corrupt blosc frame (${error instanceof Error ? error.message : String(error)})`);
      }
      if (out.length !== expectedBytes) throw new FrameError(`blosc frame decoded to ${out.length} bytes, expected ${expectedBytes}`);
      return out;
    },
  };
}
