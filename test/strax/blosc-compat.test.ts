// blosc byte compatibility: the TypeScript c-blosc 1.21 port writes exactly the frames python-blosc (strax) writes.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Blosc from 'numcodecs/blosc';
import { describe, expect, it } from 'vitest';
import { bloscBlocksize, bloscCompressFrame, bloscDecompressFrame } from '../../src/strax/compress/blosc1-frame.js';
import { getCompressor } from '../../src/strax/compress/index.js';
import { FrameError } from '../../src/strax/errors.js';
import { FIXTURES, manifest } from './fixtures.js';

const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');
const wasm = new Blosc();
const u32 = (b: Uint8Array, p: number) => (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;

/** Index of the first differing byte, or -1 (a length difference counts at the shorter length). */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Stream lengths per block of a non-memcpyed frame, walked from the header as c-blosc's decoder does. */
function streamLayout(frame: Uint8Array): { neblock: number; lengths: number[] }[] {
  const [typesize, nbytes, blocksize] = [frame[3]!, u32(frame, 4), u32(frame, 8)];
  const leftover = nbytes % blocksize;
  const nblocks = Math.ceil(nbytes / blocksize);
  const split = (frame[2]! & 0x10) === 0;
  const blocks = [];
  for (let j = 0; j < nblocks; j++) {
    const last = j === nblocks - 1 && leftover > 0;
    const nsplits = split && !last ? typesize : 1;
    const neblock = (last ? leftover : blocksize) / nsplits;
    const lengths = [];
    for (let k = 0, p = u32(frame, 16 + 4 * j); k < nsplits; k++) {
      lengths.push(u32(frame, p));
      p += 4 + u32(frame, p);
    }
    blocks.push({ neblock, lengths });
  }
  return blocks;
}

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

/** Deterministic inputs; the goldens below are python-blosc's frames of exactly these bytes. */
function synthetic(kind: string, n: number, seed: number): Uint8Array {
  const r = lcg(seed);
  const b = new Uint8Array(n);
  const v = new DataView(b.buffer);
  if (kind === 'random') for (let i = 0; i < n; i++) b[i] = r() >>> 24;
  else if (kind === 'waveform') {
    for (let i = 0; i + 1 < n; i += 2) {
      const j = (i >> 1) % 110;
      v.setInt16(i, (j > 40 ? Math.round(300 * Math.exp(-(j - 40) / 8)) : 0) + (r() >>> 29) - 4, true);
    }
  } else if (kind === 'mixed') for (let i = 0; i < n; i++) b[i] = (i >> 12) & 1 ? r() >>> 24 : (i >> 6) & 255;
  else if (kind === 'far') {
    // a 9000-byte period: matches beyond blosclz's 8191-byte short distance
    const table = Uint8Array.from({ length: 9000 }, (_, i) => ((i >> 3) & 15) * 16 + (r() >>> 30));
    for (let i = 0; i < n; i++) b[i] = table[i % 9000]! ^ ((r() >>> 24) < 3 ? 1 : 0);
  }
  return b;
}

const blosc = manifest.datasets.filter((d) => d.compressor === 'blosc');

describe('blosc frames identical to strax (python-blosc 1.11, c-blosc 1.21)', () => {
  it('covers both blosc fixture datasets', () => {
    expect(blosc.map((d) => d.name).sort()).toEqual(['peaks_blosc', 'records_blosc']);
    expect(blosc.flatMap((d) => d.chunks ?? []).filter((c) => c.n > 0)).toHaveLength(6);
  });

  for (const d of blosc) {
    for (const c of d.chunks ?? []) {
      if (c.n === 0) continue;
      it(`re-compressing ${d.name} chunk ${c.chunk_i} reproduces strax's file byte for byte`, async () => {
        const frame = new Uint8Array(fs.readFileSync(path.join(FIXTURES, d.path, c.filename!)));
        const codec = getCompressor('blosc');
        const raw = await codec.decompress(frame, c.nbytes);
        expect(sha256(raw)).toBe(c.uncompressed_sha256);
        expect(firstDiff(await wasm.decode(frame), raw)).toBe(-1); // independent decoder agrees
        if (d.name === 'records_blosc') {
          const twin = manifest.datasets.find((x) => x.name === 'records_zstd')!.chunks![c.chunk_i]!;
          const zframe = fs.readFileSync(path.join(FIXTURES, 'records_zstd', path.basename(d.path), twin.filename!));
          expect(firstDiff(await getCompressor('zstd').decompress(zframe, c.nbytes), raw)).toBe(-1);
        }
        const again = await codec.compress(raw);
        expect(firstDiff(again, frame)).toBe(-1);
        expect(again.length).toBe(frame.length);
        expect(again.length).toBe(c.filesize);
      });
    }
  }

  it('lays fixture chunks out as strax does: flags 0, typesize 8, 8 streams per full block, 1 for the leftover', () => {
    const d = blosc.find((x) => x.name === 'records_blosc')!;
    const frame = (i: number) => new Uint8Array(fs.readFileSync(path.join(FIXTURES, d.path, d.chunks![i]!.filename!)));
    const one = frame(1);
    expect([one[0], one[1], one[2], one[3], u32(one, 8)]).toEqual([2, 1, 0x00, 8, 123360]);
    expect(streamLayout(one).map((b) => b.lengths.length)).toEqual([8]);
    const two = frame(2); // 65278 bytes: a 65272-byte block and a 6-byte leftover stored raw
    expect(u32(two, 8)).toBe(65272);
    expect(streamLayout(two).map((b) => [b.neblock, b.lengths.length])).toEqual([[8159, 8], [6, 1]]);
    expect(streamLayout(two)[1]!.lengths).toEqual([6]);
  });

  it('computes c-blosc 1.21 block sizes for clevel 9, typesize 8', () => {
    const cases: [number, number][] = [
      [7, 1], [8, 8], [100, 96], [1000, 1000], [1024, 1024], [18330, 18328], [43176, 43176], [65278, 65272],
      [123360, 123360], [1048583, 1048576], [10_280_000, 1048576], [1_500_000_000, 1048576],
    ];
    for (const [n, bs] of cases) expect([n, bloscBlocksize(9, 8, n)]).toEqual([n, bs]);
  });

  // [kind, size, clevel, typesize, python-blosc frame length, flags, sha256 prefix]: Debian python3-blosc 1.11.1
  // (c-blosc 1.21.3, blosclz 2.5.1), blosc.set_nthreads(1), blosc.compress(x, typesize, clevel, NOSHUFFLE, 'blosclz').
  const goldens: [string, number, number, number, number, number, string][] = [
    ['waveform', 129, 9, 8, 145, 0x12, '1092fe0ab1624a2c'],
    ['waveform', 1000, 9, 8, 822, 0x10, 'fee11eb4e9266de6'],
    ['waveform', 4099, 9, 8, 3775, 0x00, 'c0f8376c3baaad5c'],
    ['waveform', 65541, 9, 8, 45253, 0x00, '7252e928f2811023'],
    ['waveform', 300001, 9, 8, 198970, 0x00, 'd11667b4de348f2d'],
    ['waveform', 1048605, 9, 8, 690232, 0x00, '21b93dd7cb092f7a'],
    ['waveform', 2500003, 9, 8, 1644993, 0x00, '55cde8b752e5137f'],
    ['mixed', 65536, 9, 8, 65552, 0x02, '448df76d49f7e444'],
    ['mixed', 1048583, 9, 8, 554448, 0x00, '7e1af5769afdf908'],
    ['far', 200000, 9, 8, 88162, 0x00, 'e6d4f5fe4a94fb04'],
    ['far', 70001, 9, 8, 66637, 0x00, '7c178945aa9b60ba'],
    ['random', 127, 9, 8, 143, 0x12, '3f194a94f20279fb'],
    ['random', 5000, 9, 8, 5016, 0x02, 'cc11753a052d3b66'],
    ['random', 1048584, 9, 8, 1048600, 0x02, '501006bf6c3dd1bd'],
    ['zeros', 3000000, 9, 8, 12048, 0x00, '62788da6aab56f91'],
    ['zeros', 100, 9, 8, 116, 0x12, '0bcf01695437909b'],
    ['waveform', 200003, 5, 8, 132184, 0x00, '89d010d7d4ff439f'],
    ['waveform', 200003, 9, 4, 132231, 0x00, '33a6114005cf7623'],
    ['mixed', 100000, 1, 2, 53935, 0x00, '956375bf0685ed65'],
    ['waveform', 100000, 0, 8, 100016, 0x02, 'b877263a367f7a02'],
  ];
  for (const [kind, n, clevel, typesize, len, flags, hash] of goldens) {
    it(`writes python-blosc's frame for ${n} bytes of ${kind} data (clevel ${clevel}, typesize ${typesize})`, async () => {
      const input = synthetic(kind, n, n);
      const frame = bloscCompressFrame(input, clevel, typesize);
      expect([frame.length, frame[2]]).toEqual([len, flags]);
      expect(sha256(frame).slice(0, 16)).toBe(hash);
      expect(firstDiff(bloscDecompressFrame(frame)!, input)).toBe(-1);
      expect(firstDiff(await wasm.decode(frame), input)).toBe(-1);
    });
  }
});

describe('blosc round trips', () => {
  const sizes = [
    1, 2, 7, 8, 9, 15, 16, 17, 63, 65, 127, 128, 129, 1023, 1024, 1025, 4097, 32767, 32768, 32769, 65535, 65536, 65537,
    262143, 262144, 262145, 1048575, 1048576, 1048577, 2 * 1048576 + 3,
  ];
  for (const kind of ['waveform', 'random', 'mixed']) {
    it(`round-trips ${kind} data of ${sizes.length} sizes around block and stream boundaries, readable by numcodecs`, async () => {
      const codec = getCompressor('blosc');
      for (const n of sizes) {
        const input = synthetic(kind, n, 7 * n + 1);
        const frame = await codec.compress(input);
        expect([n, u32(frame, 4), u32(frame, 12)]).toEqual([n, n, frame.length]);
        if (n < 128 || kind === 'random') {
          // too small, or incompressible: c-blosc stores the whole buffer after the header (MEMCPYED)
          expect([n, frame[2]! & 0x02, frame.length]).toEqual([n, 0x02, n + 16]);
        }
        expect([n, firstDiff(await codec.decompress(frame, n), input)]).toEqual([n, -1]);
        expect([n, firstDiff(await wasm.decode(frame), input)]).toEqual([n, -1]);
      }
    });
  }

  it('stores streams that do not compress raw inside an otherwise compressed frame', () => {
    const input = synthetic('mixed', 1048583, 1048583);
    const frame = bloscCompressFrame(input);
    expect(frame[2]).toBe(0x00);
    const streams = streamLayout(frame).flatMap((b) => b.lengths.map((len) => len === b.neblock));
    expect(streams.filter((raw) => raw).length).toBeGreaterThan(0);
    expect(streams.filter((raw) => !raw).length).toBeGreaterThan(0);
  });

  it('decodes frames from other writers (typesize 4, shuffle, lz4 and zstd inside) through numcodecs', async () => {
    const input = synthetic('waveform', 300001, 3);
    const codec = getCompressor('blosc');
    for (const [cname, shuffle] of [['blosclz', Blosc.NOSHUFFLE], ['blosclz', Blosc.SHUFFLE], ['lz4', Blosc.SHUFFLE], ['zstd', Blosc.BITSHUFFLE]] as const) {
      const frame = await new Blosc(5, cname, shuffle, 0).encode(input);
      expect(bloscDecompressFrame(frame) === undefined).toBe(shuffle !== Blosc.NOSHUFFLE);
      expect([cname, shuffle, firstDiff(await codec.decompress(frame, input.length), input)]).toEqual([cname, shuffle, -1]);
    }
  });

  it('refuses a frame whose stream does not decode to its size', async () => {
    const input = synthetic('waveform', 100000, 5);
    const frame = bloscCompressFrame(input);
    const bad = frame.slice();
    const first = u32(bad, 16);
    bad.set([10, 0, 0, 0], first); // the first stream claims 10 bytes: it decodes to far fewer than its 12500
    await expect(getCompressor('blosc').decompress(bad, input.length)).rejects.toThrow(FrameError);
    const past = frame.slice();
    past.set([0xff, 0xff, 0x0f, 0], first); // runs past the end of the frame
    await expect(getCompressor('blosc').decompress(past, input.length)).rejects.toThrow(/runs past/);
  });
});

// Live cross-check against python-blosc (Debian: apt-get install python3-blosc). CI installs it and sets
// DAQFLOW_REQUIRE_PYTHON_BLOSC=1, so there the check fails instead of skipping when python-blosc is missing.
const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import blosc'], { stdio: 'ignore' }).status === 0);
const pythonRequired = process.env.DAQFLOW_REQUIRE_PYTHON_BLOSC === '1';
if (python === undefined && !pythonRequired) console.warn('python-blosc not installed: the live python-blosc cross-check is skipped (apt-get install python3-blosc)');

describe('against python-blosc on this machine', () => {
  it.skipIf(python === undefined && !pythonRequired)('writes the same frames as python-blosc for 300 random mixed-entropy buffers', () => {
    if (python === undefined) throw new Error('DAQFLOW_REQUIRE_PYTHON_BLOSC=1 but no python3 with the blosc module (apt-get install python3-blosc)');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-blosc-'));
    const r = lcg(2024);
    const cases: { n: number; off: number }[] = [];
    const parts: Uint8Array[] = [];
    let off = 0;
    for (let k = 0; k < 300; k++) {
      const n = r() % 8 === 0 ? 100000 + (r() % 1500000) : 1 + (r() % 70000);
      const b = new Uint8Array(n);
      const pRandom = (r() >>> 0) / 2 ** 32;
      for (let i = 0; i < n; ) {
        const seg = 1 + (r() % (r() % 2 ? 64 : 4000));
        const mode = (r() >>> 0) / 2 ** 32 < pRandom ? 0 : r() % 3;
        for (let s = 0; s < seg && i < n; s++, i++) b[i] = mode === 0 ? r() >>> 24 : mode === 1 ? 0 : i > 9500 ? b[i - 9000 - (i % 3)]! : (i * 31) & 255;
      }
      cases.push({ n, off });
      parts.push(b);
      off += n;
    }
    fs.writeFileSync(path.join(dir, 'in.bin'), Buffer.concat(parts));
    fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(cases));
    const script = [
      'import blosc, json, sys', 'blosc.set_nthreads(1)', 'd = sys.argv[1]', "data = open(d + '/in.bin', 'rb').read()",
      "with open(d + '/out.bin', 'wb') as f:",
      "  for c in json.load(open(d + '/cases.json')):",
      "    b = blosc.compress(data[c['off']:c['off'] + c['n']], typesize=8, clevel=9, shuffle=blosc.NOSHUFFLE, cname='blosclz')",
      "    f.write(len(b).to_bytes(4, 'little') + b)",
    ].join('\n');
    const res = spawnSync(python!, ['-c', script, dir], { encoding: 'utf8' });
    expect(res.stderr).toBe('');
    const out = new Uint8Array(fs.readFileSync(path.join(dir, 'out.bin')));
    let p = 0;
    for (let k = 0; k < cases.length; k++) {
      const len = u32(out, p);
      const expected = out.subarray(p + 4, p + 4 + len);
      p += 4 + len;
      expect([k, cases[k]!.n, firstDiff(bloscCompressFrame(parts[k]!), expected)]).toEqual([k, cases[k]!.n, -1]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
