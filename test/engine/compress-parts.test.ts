// The engine's chunk compression: several parts streamed into one zstd frame, and large frames compressed by zstd's
// own threads (the inline executor), give one frame with its content size in the header that decodes to the parts.
import { describe, expect, it } from 'vitest';
import binding from 'zstd-napi/binding.js';
import { compressParts } from '../../src/strax/engine/executor.js';
import { getCompressor } from '../../src/strax/compress/index.js';
import { random } from './random-records.js';

/** Bytes that compress somewhat, like hit rows: small integers and noise. */
function rowsLike(bytes: number, seed: number): Uint8Array {
  const rnd = random(seed);
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = i % 4 === 0 ? Math.floor(rnd() * 256) : i % 4 === 1 ? Math.floor(rnd() * 8) : 0;
  return out;
}

describe('chunk compression', () => {
  for (const threads of [0, 2]) {
    it(`${threads ? 'on two zstd threads' : 'on the calling thread'}: one frame with its content size, decoding to the parts`, async () => {
      const parts = [rowsLike(9e6, 1), rowsLike(3e6, 2), rowsLike(5e5, 3)];
      const total = parts.reduce((a, p) => a + p.length, 0);
      for (const given of [parts, [parts[0]!]]) {
        const frame = await compressParts({ compressor: 'zstd', level: 1, parts: given }, threads);
        const n = given.reduce((a, p) => a + p.length, 0);
        expect(binding.getFrameContentSize(Buffer.from(frame.buffer, frame.byteOffset, frame.length))).toBe(n);
        expect(binding.findFrameCompressedSize(Buffer.from(frame.buffer, frame.byteOffset, frame.length))).toBe(frame.length); // one frame
        const decoded = await getCompressor('zstd').decompress(frame, n);
        expect(Buffer.from(decoded).equals(Buffer.concat(given))).toBe(true);
        expect(frame.length).toBeLessThan(n / 2);
      }
      expect(total).toBeGreaterThan(8e6); // large enough for the threads to be used
    });
  }
});
