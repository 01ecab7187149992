// decodeLz4FrameInto / lz4's decompressInto against lz4-napi: the same bytes for strax's frames and ours, and a
// FrameError (never wrong rows) for every kind of damage.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { getCompressor } from '../../src/strax/compress/index.js';
import { decodeLz4FrameInto, lz4FrameDecodableInto } from '../../src/strax/compress/lz4-into.js';
import { hitDtype, peakDtype, recordDtype } from '../../src/strax/dtype/standard.js';
import { FrameError } from '../../src/strax/errors.js';
import { FIXTURES, manifest } from './fixtures.js';
import { synthRows } from './synth.js';

const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');
const lz4 = getCompressor('lz4');

/** Decodes into a buffer that starts dirty, so bytes the decoder fails to write show up. */
function decodeDirty(frame: Uint8Array, bytes: number): Buffer {
  const out = Buffer.alloc(bytes, 0xa5);
  decodeLz4FrameInto(frame, out);
  return out;
}

describe('decodeLz4FrameInto', () => {
  it('decodes strax-written lz4 chunks (content size, linked blocks) to the bytes strax wrote', () => {
    const lz4Sets = manifest.datasets.filter((d) => d.compressor === 'lz4');
    let frames = 0;
    for (const d of lz4Sets) {
      for (const c of d.chunks ?? []) {
        if (c.n === 0) continue;
        const frame = fs.readFileSync(path.join(FIXTURES, d.path, c.filename!));
        expect(lz4FrameDecodableInto(frame)).toBe(true);
        expect(sha256(decodeDirty(frame, c.nbytes))).toBe(c.uncompressed_sha256);
        frames++;
      }
    }
    expect(frames).toBeGreaterThan(0);
  });

  const cases = {
    records: synthRows(recordDtype(), 3000, 1),
    peaks: synthRows(peakDtype(), 300, 2),
    hits: synthRows(hitDtype(), 20_000, 3),
    random: crypto.randomBytes(300_000), // incompressible: stored blocks
    zeros: new Uint8Array(1_000_000), // long overlapping matches
    empty: new Uint8Array(0),
  };
  for (const [name, data] of Object.entries(cases)) {
    it(`decodes daqflow's own frames of ${name} exactly as lz4-napi does`, () => {
      const frame = compressFrameSync(Buffer.from(data));
      expect(Buffer.compare(decodeDirty(frame, data.length), decompressFrameSync(frame))).toBe(0);
      expect(Buffer.compare(decodeDirty(frame, data.length), Buffer.from(data))).toBe(0);
    });
  }

  it('decodes overlapping and short matches of every period, also where they end at the end of the output', () => {
    // Runs of a repeated pattern become matches whose offset is the period (1..70 bytes, overlapping when the run is
    // longer) and whose length is the run's; random bytes between them keep literals short. Each case ends on a run,
    // so the last matches finish within a few bytes of the output's end (the decoder's word copies must not overrun).
    let seed = 11;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    for (const tail of [0, 1, 3, 5, 7]) {
      const parts: number[] = [];
      for (let period = 1; period <= 70; period++) {
        for (const run of [4, 7, 12, 18, 19, 31, 33, 64, 200]) {
          for (let k = 0; k < 1 + Math.floor(rand() * 5); k++) parts.push(Math.floor(rand() * 256));
          const pattern = Array.from({ length: period }, () => Math.floor(rand() * 256));
          for (let k = 0; k < period + run; k++) parts.push(pattern[k % period]!);
        }
      }
      for (let k = 0; k < tail; k++) parts.push(k);
      const data = Buffer.from(parts);
      const frame = compressFrameSync(data);
      expect(Buffer.compare(decodeDirty(frame, data.length), data)).toBe(0);
    }
  });

  it('leaves frames with checksums to lz4-napi, through decompressInto with the same result', async () => {
    const data = synthRows(recordDtype(), 500, 4);
    const frame = compressFrameSync(Buffer.from(data), { contentChecksum: true, blockChecksums: true });
    expect(lz4FrameDecodableInto(frame)).toBe(false);
    expect(() => decodeDirty(frame, data.length)).toThrow(FrameError);
    const out = new Uint8Array(data.length);
    await lz4.decompressInto!(frame, out);
    expect(sha256(out)).toBe(sha256(data));
  });

  describe('damage is a FrameError', () => {
    const data = synthRows(recordDtype(), 2000, 5);
    const frame = compressFrameSync(Buffer.from(data));
    const block = frame.readUInt32LE(7); // no content size or dictionary in daqflow's frames: first block size at 7
    const damaged = (fn: (f: Buffer) => Buffer | void): Buffer => {
      const copy = Buffer.from(frame);
      return fn(copy) ?? copy;
    };
    const bad: Record<string, [Buffer, number]> = {
      'bad magic': [damaged((f) => void f.writeUInt32LE(0x12345678, 0)), data.length],
      'truncated inside a block': [frame.subarray(0, 11 + Math.floor(block / 2)), data.length],
      'no end mark': [frame.subarray(0, frame.length - 4), data.length],
      'a second frame appended': [Buffer.concat([frame, frame]), data.length],
      'a larger size expected': [frame, data.length + 48],
      'a smaller size expected': [frame, data.length - 48],
      'lengths running past the block': [damaged((f) => void f.fill(0xff, 11 + 16, 11 + block - 16)), data.length],
      'a match before the start': [damaged((f) => { f[11] = 0x00; f[12] = 0xff; f[13] = 0xff; }), data.length],
    };
    expect(block >>> 31).toBe(0);
    for (const [what, [f, bytes]] of Object.entries(bad)) {
      it(what, async () => {
        expect(() => decodeDirty(f, bytes)).toThrow(FrameError);
        await expect(lz4.decompressInto!(f, new Uint8Array(bytes))).rejects.toThrow(FrameError);
      });
    }
  });
});
