// Blosc-1 frames: written by the TypeScript port of c-blosc 1.21 (byte-identical to python-blosc); read by the port,
// or by numcodecs' c-blosc WebAssembly for frames from other writers (lz4/zstd inside, shuffle). Header checked against
// file size and n × itemsize.
import Blosc from 'numcodecs/blosc';
import { FrameError } from '../errors.js';
import { bloscCompressFrame, bloscDecompressFrame } from './blosc1-frame.js';
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
 * Writes what strax writes (`blosc.compress(arr, shuffle=False)`: blosclz, clevel 9, typesize 8, no shuffle, one
 * thread), byte for byte. Reads blosclz/memcpyed unshuffled frames with the port, anything else with numcodecs.
 */
export function bloscCompressor(clevel = 9): Compressor {
  let wasm: InstanceType<typeof Blosc> | undefined;
  return {
    name: 'blosc',
    async compress(data) {
      if (data.length >= BLOSC_MAX_BUFFERSIZE) throw new RangeError(`blosc cannot compress ${data.length} bytes (limit ${BLOSC_MAX_BUFFERSIZE - 1})`);
      return bloscCompressFrame(data, clevel, 8);
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
        const ported = bloscDecompressFrame(frame);
        if (ported !== undefined) out = ported;
        else {
          wasm ??= new Blosc();
          out = await wasm.decode(frame);
        }
      } catch (error) {
        if (error instanceof FrameError) throw error;
        throw new FrameError(`corrupt blosc frame (${error instanceof Error ? error.message : String(error)})`);
      }
      if (out.length !== expectedBytes) throw new FrameError(`blosc frame decoded to ${out.length} bytes, expected ${expectedBytes}`);
      return out;
    },
  };
}
