// decodeLz4FrameInto / lz4's decompressInto against lz4-napi: the same bytes for strax's frames and ours, and a
// FrameError (never wrong rows) for every kind of damage.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { getCompressor } from '../../src/strax/compress/index.js';
import { decodeLz4FrameInto, decodeLz4FrameUpTo, lz4DecodeBuffer, lz4DescriptorChecksum, lz4FrameBound, lz4FrameContentBound, lz4FrameDecodableInto } from '../../src/strax/compress/lz4-into.js';
import { hitDtype, peakDtype, recordDtype } from '../../src/strax/dtype/standard.js';
import { FrameError } from '../../src/strax/errors.js';
import { FIXTURES, manifest } from './fixtures.js';
import { synthRows } from './synth.js';
import { makeTmpDir } from '../support/tmp.js';

const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');
const lz4 = getCompressor('lz4');

/**
 * The two kinds of output: any buffer (decoded in a scratch WebAssembly memory and copied) and a decode buffer
 * (decoded in place in its own memory, the frame copied after it).
 */
const OUTPUTS = {
  'a plain buffer': (bytes: number) => Buffer.alloc(bytes),
  'a decode buffer': (bytes: number) => {
    const b = lz4DecodeBuffer(bytes);
    return Buffer.from(b.buffer, b.byteOffset, b.length);
  },
};

describe.each(Object.entries(OUTPUTS))('decodeLz4FrameInto, into %s', (_kind, allocate) => {
  /** Decodes into a buffer that starts dirty, so bytes the decoder fails to write show up. */
  function decodeDirty(frame: Uint8Array, bytes: number): Buffer {
    const out = allocate(bytes).fill(0xa5);
    decodeLz4FrameInto(frame, out);
    return out;
  }

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
        await expect(lz4.decompressInto!(f, allocate(bytes))).rejects.toThrow(FrameError);
      });
    }
  });

  it('decodes frame after frame into one reused buffer, also into a shorter view of it', () => {
    const out = allocate(600_000);
    for (const [i, data] of [synthRows(hitDtype(), 10_000, 6), new Uint8Array(600_000), synthRows(peakDtype(), 100, 7)].entries()) {
      const frame = compressFrameSync(Buffer.from(data));
      const view = out.subarray(0, data.length).fill(i);
      decodeLz4FrameInto(frame, view);
      expect(Buffer.compare(view, Buffer.from(data))).toBe(0);
    }
  });
});

describe('lz4DecodeBuffer', () => {
  it('has room after the output for the largest frame the output can come from, and decodes it in place', () => {
    const data = crypto.randomBytes(200_000); // incompressible: the frame is larger than the output
    const frame = compressFrameSync(data);
    expect(frame.length).toBeGreaterThan(data.length);
    expect(frame.length).toBeLessThanOrEqual(lz4FrameBound(data.length));
    const out = lz4DecodeBuffer(data.length);
    expect(out.byteOffset).toBe(0);
    expect(out.buffer.byteLength).toBeGreaterThanOrEqual(data.length + lz4FrameBound(data.length));
    decodeLz4FrameInto(frame, out);
    expect(Buffer.compare(Buffer.from(out), data)).toBe(0);
  });

  it('writes nothing past the end of the output (its copies of 8 and 16 bytes stop short of it)', () => {
    let seed = 12;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    for (let bytes = 1000; bytes < 1040; bytes++) {
      // Repeated 48-byte rows with a few random bytes each: short literals and matches up to the very end.
      const data = new Uint8Array(bytes);
      for (let i = 0; i < bytes; i++) data[i] = i % 48 < 4 ? Math.floor(rand() * 256) : i % 48;
      const out = lz4DecodeBuffer(bytes);
      const memory = new Uint8Array(out.buffer).fill(0xa5);
      decodeLz4FrameInto(compressFrameSync(Buffer.from(data)), out);
      expect(Buffer.compare(Buffer.from(out), Buffer.from(data))).toBe(0);
      expect([...memory.subarray(bytes, bytes + 16)]).toEqual(new Array(16).fill(0xa5));
    }
  });

  it('decodes an output that leaves no room for its frame in its memory through the scratch memory, and copies it', () => {
    const whole = lz4DecodeBuffer(64).buffer; // one 64 kB page
    const out = new Uint8Array(whole, 0, whole.byteLength).fill(0xa5);
    const data = synthRows(hitDtype(), Math.ceil(whole.byteLength / hitDtype().itemsize), 8).subarray(0, whole.byteLength);
    expect(data.length).toBe(out.length);
    decodeLz4FrameInto(compressFrameSync(Buffer.from(data)), out);
    expect(sha256(out)).toBe(sha256(data));
  });
});

describe('decodeLz4FrameUpTo and lz4FrameContentBound (frames of unknown size, as redax writes them)', () => {
  /** A frame written by the lz4 CLI with the given options. */
  function cliFrame(data: Uint8Array, options: string[]): Buffer {
    const dir = makeTmpDir('lz4-cli-');
    const plain = path.join(dir, 'plain');
    fs.writeFileSync(plain, data);
    execFileSync('lz4', ['-q', '-f', ...options, plain, `${plain}.lz4`]);
    return fs.readFileSync(`${plain}.lz4`);
  }

  const records = synthRows(recordDtype(), 4000, 9); // 1 MB: several 64 and 256 kB blocks
  const frames = {
    '256 kB blocks, no checksums, no content size (redax)': () => cliFrame(records, ['-B6', '--no-frame-crc']),
    'independent 64 kB blocks with a content size': () => cliFrame(records, ['-B4', '--no-frame-crc', '--content-size']),
    'lz4-napi (4 MB blocks, no content size)': () => compressFrameSync(Buffer.from(records)),
  };
  for (const [name, make] of Object.entries(frames)) {
    it(`bounds and decodes ${name} into a larger buffer, returning the length`, () => {
      const frame = make();
      expect(lz4FrameDecodableInto(frame)).toBe(true);
      const bound = lz4FrameContentBound(frame);
      expect(bound).toBeGreaterThanOrEqual(records.length);
      if ((frame[4]! & 0x08) !== 0) expect(bound).toBe(records.length);
      for (const out of [lz4DecodeBuffer(bound), new Uint8Array(bound)]) {
        out.fill(0xa5);
        const n = decodeLz4FrameUpTo(frame, out);
        expect(n).toBe(records.length);
        expect(sha256(out.subarray(0, n))).toBe(sha256(records));
      }
    });
  }

  it('bounds a compressed block by the maximum block size and a stored one by its own size', () => {
    const frame = cliFrame(records, ['-B4', '--no-frame-crc']);
    const blocks = Math.ceil(records.length / 65536);
    expect(lz4FrameContentBound(frame)).toBeLessThanOrEqual(blocks * 65536);
    const incompressible = crypto.randomBytes(100_000);
    expect(lz4FrameContentBound(cliFrame(incompressible, ['-B4', '--no-frame-crc']))).toBe(100_000);
  });

  it('never bounds below what a frame decodes to, even at the highest ratio LZ4 has (zeros), and a damaged content size cannot raise the bound', () => {
    for (const data of [new Uint8Array(3_000_000), new Uint8Array(100).fill(7), synthRows(hitDtype(), 20_000, 4), new Uint8Array(0)]) {
      for (const frame of [compressFrameSync(Buffer.from(data)), cliFrame(data, ['-B4', '--no-frame-crc', '--content-size'])]) {
        const bound = lz4FrameContentBound(frame);
        expect(bound).toBeGreaterThanOrEqual(data.length);
        expect(decodeLz4FrameUpTo(frame, lz4DecodeBuffer(bound))).toBe(data.length);
      }
    }
    const zeros = compressFrameSync(Buffer.from(new Uint8Array(3_000_000)));
    expect(lz4FrameContentBound(zeros)).toBeLessThan(2 * 3_000_000); // 255 bytes per compressed byte, not 4 MB a block
    // A content size of 2^40 bytes written into the header of a 1 MB frame: the blocks still bound it.
    const withSize = cliFrame(records, ['-B4', '--no-frame-crc', '--content-size']);
    const damaged = Buffer.from(withSize);
    damaged.writeBigUInt64LE(2n ** 40n, 6);
    damaged[14] = lz4DescriptorChecksum(damaged.subarray(4, 14)); // a writer that lies, with a valid descriptor
    expect(lz4FrameContentBound(damaged)).toBeLessThanOrEqual(Math.ceil(records.length / 65536) * 65536);
  });

  it('refuses an output too small for the frame, a bad descriptor checksum, a bad block size code, reserved bits and a frame without an end mark', () => {
    const frame = compressFrameSync(Buffer.from(records));
    expect(() => decodeLz4FrameUpTo(frame, lz4DecodeBuffer(records.length - 1))).toThrow(FrameError);
    const badCode = Buffer.from(frame);
    badCode[5] = 0x30;
    expect(() => lz4FrameContentBound(badCode)).toThrow(/descriptor checksum mismatch/);
    badCode[6] = lz4DescriptorChecksum(badCode.subarray(4, 6));
    expect(() => lz4FrameContentBound(badCode)).toThrow(/block size code 3/);
    const reserved = Buffer.from(frame);
    reserved[5]! |= 0x01;
    reserved[6] = lz4DescriptorChecksum(reserved.subarray(4, 6));
    expect(() => decodeLz4FrameUpTo(reserved, lz4DecodeBuffer(records.length))).toThrow(/reserved bits/);
    expect(() => lz4FrameContentBound(frame.subarray(0, frame.length - 4))).toThrow(/no end mark/);
  });
});
