import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getCompressor } from '../../src/strax/compress/index.js';
import { readBloscHeader } from '../../src/strax/compress/blosc.js';
import { FrameError } from '../../src/strax/errors.js';
import { COMPRESSOR_NAMES } from '../../src/strax/compress/types.js';
import { peakDtype, rawRecordDtype, recordDtype } from '../../src/strax/dtype/standard.js';
import { FIXTURES, manifest } from './fixtures.js';
import { synthRows } from './synth.js';

const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

describe('fixture chunks', () => {
  for (const d of manifest.datasets) {
    for (const c of d.chunks ?? []) {
      if (c.n === 0) continue;
      it(`${d.name} chunk ${c.chunk_i} (${d.compressor}) decodes to the bytes strax wrote`, async () => {
        const frame = fs.readFileSync(path.join(FIXTURES, d.path, c.filename!));
        const out = await getCompressor(d.compressor).decompress(frame, c.n * d.dtype_itemsize);
        expect(out.length).toBe(c.nbytes);
        expect(sha256(out)).toBe(c.uncompressed_sha256);
      });
    }
  }
});

describe('round trips', () => {
  const layouts = { records: recordDtype(), raw_records: rawRecordDtype(), peaks: peakDtype() };
  for (const name of COMPRESSOR_NAMES) {
    for (const [kind, layout] of Object.entries(layouts)) {
      it(`${name} round-trips ${kind} rows`, async () => {
        const rows = synthRows(layout, name === 'bz2' ? 200 : 2000, 7);
        const codec = getCompressor(name);
        const frame = await codec.compress(rows);
        expect(frame.length).toBeLessThan(rows.length);
        expect(sha256(await codec.decompress(frame, rows.length))).toBe(sha256(rows));
      });
    }
  }

  it('blosc writes blosclz without shuffle, a whole standard Blosc-1 frame', async () => {
    const rows = synthRows(recordDtype(), 500, 1);
    const frame = await getCompressor('blosc').compress(rows);
    const h = readBloscHeader(frame);
    expect(h.flags & 0xe7).toBe(0); // codec blosclz (bits 5-7 = 0), no shuffle, not memcpyed
    expect(h.nbytes).toBe(rows.length);
    expect(h.cbytes).toBe(frame.length);
  });
});

describe('damaged frames', () => {
  const rows = synthRows(recordDtype(), 300, 3);
  for (const name of COMPRESSOR_NAMES) {
    it(`${name}: a second appended frame is an error, not half the data`, async () => {
      const codec = getCompressor(name);
      const frame = await codec.compress(rows);
      const doubled = new Uint8Array([...frame, ...frame]);
      await expect(codec.decompress(doubled, rows.length)).rejects.toThrow(FrameError);
      await expect(codec.decompress(doubled, rows.length * 2)).rejects.toThrow(/follow|second|holds/);
    });

    it(`${name}: a truncated frame is an error`, async () => {
      const codec = getCompressor(name);
      const frame = await codec.compress(rows);
      await expect(codec.decompress(frame.subarray(0, Math.floor(frame.length * 0.6)), rows.length)).rejects.toThrow(FrameError);
      await expect(codec.decompress(frame.subarray(0, 10), rows.length)).rejects.toThrow(FrameError);
    });

    it(`${name}: a size other than n × itemsize is an error`, async () => {
      const codec = getCompressor(name);
      const frame = await codec.compress(rows);
      await expect(codec.decompress(frame, rows.length - 257)).rejects.toThrow(/expected|more than/);
      await expect(codec.decompress(frame, rows.length + 257)).rejects.toThrow(/expected/);
    });
  }

  for (const name of COMPRESSOR_NAMES.filter((n) => getCompressor(n).decompressInto)) {
    it(`${name}: decoding into a given buffer fills it exactly, and damage is a FrameError there too`, async () => {
      const codec = getCompressor(name);
      const frame = await codec.compress(rows);
      const out = new Uint8Array(rows.length + 64).fill(0xa5).subarray(32, 32 + rows.length);
      await codec.decompressInto!(frame, out);
      expect(Buffer.compare(out, rows)).toBe(0);
      expect(new Uint8Array(out.buffer, 0, 32).every((b) => b === 0xa5)).toBe(true); // nothing written before …
      expect(new Uint8Array(out.buffer, 32 + rows.length).every((b) => b === 0xa5)).toBe(true); // … or after it
      await expect(codec.decompressInto!(new Uint8Array([...frame, ...frame]), new Uint8Array(rows.length))).rejects.toThrow(FrameError);
      await expect(codec.decompressInto!(frame.subarray(0, Math.floor(frame.length * 0.6)), new Uint8Array(rows.length))).rejects.toThrow(FrameError);
      await expect(codec.decompressInto!(frame, new Uint8Array(rows.length - 257))).rejects.toThrow(FrameError);
      await expect(codec.decompressInto!(frame, new Uint8Array(rows.length + 257))).rejects.toThrow(FrameError);
    });
  }

  it('zstd and lz4 decode into a given buffer', () => {
    expect(COMPRESSOR_NAMES.filter((n) => getCompressor(n).decompressInto)).toEqual(['zstd', 'lz4']);
  });

  it('rejects an unknown compressor name listing the valid ones', () => {
    expect(() => getCompressor('gzip')).toThrow(/blosc, zstd, lz4, bz2/);
  });
});

describe('large chunks', () => {
  it('bz2 round-trips a 40 MB chunk (the WebAssembly heap grows while the buffers are allocated)', async () => {
    const layout = recordDtype();
    const data = synthRows(layout, Math.ceil(40e6 / layout.itemsize), 11);
    const bz2 = getCompressor('bz2');
    const frame = await bz2.compress(data);
    expect(frame.length).toBeLessThan(data.length);
    const out = await bz2.decompress(frame, data.length);
    expect(sha256(out)).toBe(sha256(data));
  }, 120_000);
});
