// bzip2 chunk streams via compressjs (pure JS, slow); one stream only, nothing may follow it.
import Bzip2 from 'compressjs/lib/Bzip2.js';
import { FrameError } from '../errors.js';
import type { Compressor } from './types.js';

export function bz2Compressor(level = 9): Compressor {
  return {
    name: 'bz2',
    async compress(data) {
      return Bzip2.compressFile(data, undefined, level);
    },
    async decompress(frame, expectedBytes) {
      if (frame.length < 14 || frame[0] !== 0x42 || frame[1] !== 0x5a || frame[2] !== 0x68) throw new FrameError('not a bzip2 stream (bad magic)');
      let pos = 0;
      const input = {
        readByte: () => (pos < frame.length ? frame[pos++]! : -1),
        read(buf: number[], offset: number, length: number) {
          let k = 0;
          while (k < length && pos < frame.length) buf[offset + k++] = frame[pos++]!;
          return k;
        },
        eof: () => pos >= frame.length,
      };
      const out = new Uint8Array(expectedBytes);
      let written = 0;
      const output = {
        writeByte(b: number) {
          if (written >= expectedBytes) throw new FrameError(`bzip2 stream decodes to more than the expected ${expectedBytes} bytes`);
          out[written++] = b;
        },
      };
      try {
        Bzip2.decompressFile(input, output, false);
      } catch (error) {
        if (error instanceof FrameError) throw error;
        throw new FrameError(`corrupt or truncated bzip2 stream (${error instanceof Error ? error.message : String(error)})`);
      }
      if (pos !== frame.length) throw new FrameError(`${frame.length - pos} bytes follow the bzip2 stream (a second stream?); strax would drop them`);
      if (written !== expectedBytes) throw new FrameError(`bzip2 stream decoded to ${written} bytes, expected ${expectedBytes}`);
      return out;
    },
  };
}
