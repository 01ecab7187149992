// zstd chunk frames via zstd-napi (level 3 like strax's python-zstd); rejects trailing frames and size mismatches.
import zstd from 'zstd-napi';
import binding from 'zstd-napi/binding.js';
import { FrameError } from '../errors.js';
import { asBuffer, type Compressor } from './types.js';

const MAGIC = 0xfd2fb528;

export function zstdCompressor(level = 3): Compressor {
  return {
    name: 'zstd',
    async compress(data) {
      return zstd.compress(asBuffer(data), { compressionLevel: level });
    },
    async decompress(frame, expectedBytes) {
      const src = asBuffer(frame);
      const contentSize = checkedContentSize(src, expectedBytes);
      // One spare byte so an over-long frame without a content size is detected instead of silently truncated.
      const out = Buffer.allocUnsafe(contentSize === null ? expectedBytes + 1 : expectedBytes);
      return out.subarray(0, decodeFrame(src, out, expectedBytes, contentSize === null));
    },
    async decompressInto(frame, out) {
      const src = asBuffer(frame);
      const contentSize = checkedContentSize(src, out.length);
      decodeFrame(src, asBuffer(out), out.length, contentSize === null);
    },
  };
}

/** The frame's content size from its header (null when the header has none); FrameError unless one whole frame of `expectedBytes`. */
function checkedContentSize(src: Buffer, expectedBytes: number): number | null {
  if (src.length < 6 || src.readUInt32LE(0) !== MAGIC) throw new FrameError('not a zstd frame (bad magic)');
  let frameSize: number;
  try {
    frameSize = binding.findFrameCompressedSize(src);
  } catch (error) {
    throw new FrameError(`truncated or corrupt zstd frame (${(error as Error).message})`);
  }
  if (frameSize !== src.length) {
    throw new FrameError(`${src.length - frameSize} bytes follow the first zstd frame (a second frame?); strax would drop them`);
  }
  const contentSize = binding.getFrameContentSize(src);
  if (contentSize !== null && contentSize !== expectedBytes) {
    throw new FrameError(`zstd frame holds ${contentSize} bytes, expected ${expectedBytes}`);
  }
  return contentSize;
}

/** Decode into `out`; FrameError unless exactly `expectedBytes` come out (`sizeUnknown`: the header did not say). */
function decodeFrame(src: Buffer, out: Buffer, expectedBytes: number, sizeUnknown: boolean): number {
  let written: number;
  try {
    written = binding.decompress(out, src);
  } catch (error) {
    throw new FrameError(`corrupt zstd frame (${(error as Error).message})`);
  }
  if (written !== expectedBytes) throw new FrameError(`zstd frame decoded to ${written}${sizeUnknown ? '+' : ''} bytes, expected ${expectedBytes}`);
  return written;
}
