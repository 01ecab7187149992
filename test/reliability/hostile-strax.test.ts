// Hostile strax data and DAQ live files (property-based): metadata JSON, chunk files and live reader files are read or refused
// with a daqflow error of one line; never another error, never a read outside the dataset folder.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { getCompressor } from '../../src/strax/compress/index.js';
import { decodeLz4FrameInto, lz4DecodeBuffer } from '../../src/strax/compress/lz4-into.js';
import { FrameError } from '../../src/strax/errors.js';
import { channelRanges, DAQ_RECORD, decodeDaqFile, readDaqSettings, XENONNT_CHANNEL_MAP } from '../../src/strax/engine/daq-live.js';
import YAML from 'yaml';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { parseMetadata } from '../../src/strax/storage/metadata.js';
import { copyFixture } from '../strax/fixtures.js';
import { hostileString, parsesOrRefuses, parsesOrRefusesAsync, runs } from './fuzz.js';

const ROOT = 'records_zstd';
const FOLDER = '012345-records-z76fdyl6i3';
const META = 'records-z76fdyl6i3-metadata.json';
const pristine = copyFixture(ROOT);
const metaText = fs.readFileSync(path.join(pristine, FOLDER, META), 'utf8');

/** A value a broken writer or an attacker could put in a metadata field. */
const oddValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(-1, 0, 2 ** 53, -(2 ** 63), 1e308, 'NaN', null, '../../../../etc/passwd', '/etc/passwd', 'records-z76fdyl6i3-000000/../../x', '', 'zstd', 'blosc', 'lz4', 'bz2', 'none', '[["a", "<i8"]]', "[(('t', 'time'), '<i8')]"),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((b) => b.toString()),
);
const topKeys = fc.constantFrom('run_id', 'data_type', 'data_kind', 'dtype', 'compressor', 'chunks', 'lineage', 'lineage_hash', 'writing_ended', 'exception', 'start', 'end');
const chunkKeys = fc.constantFrom('chunk_i', 'n', 'start', 'end', 'nbytes', 'filename', 'filesize', 'run_id', 'first_time', 'last_endtime');

/** The fixture's metadata with a few fields replaced (numbers are written raw, so big ints stay exact). */
const mutatedMetadata = fc.array(fc.oneof(
  fc.tuple(fc.constant('top' as const), topKeys, oddValue),
  fc.tuple(fc.nat({ max: 2 }), chunkKeys, oddValue),
), { minLength: 1, maxLength: 4 }).map((edits) => {
  const md = JSON.parse(metaText);
  for (const [where, key, value] of edits) {
    const target = where === 'top' ? md : md.chunks?.[where];
    if (target && typeof target === 'object') target[key] = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return JSON.stringify(md, null, 1);
});

describe('strax metadata', () => {
  it('any text: parsed or refused with DataCorruptedError naming the file', () => {
    fc.assert(fc.property(fc.oneof(hostileString(), fc.jsonValue().map((v) => JSON.stringify(v)), mutatedMetadata), (text) => {
      const md = parsesOrRefuses(() => parseMetadata(text, '/data/x-metadata.json'));
      if (md) for (const c of md.chunks) if (c.filename !== undefined) expect(c.filename).toMatch(/^[^/\\\0]+$/);
    }), runs(400));
  });

  it('a chunk file name that leaves the dataset folder is refused', () => {
    const md = JSON.parse(metaText);
    md.chunks[0].filename = '../../outside';
    expect(() => parseMetadata(JSON.stringify(md), '/d/m.json')).toThrow(/\/d\/m\.json: chunks\[0\]\.filename "\.\.\/\.\.\/outside" is not a file name in the dataset folder/);
  });
});

describe('strax datasets on disk', () => {
  it('an unknown compressor is refused naming the metadata file (it used to be a RangeError)', async () => {
    const root = copyFixture(ROOT);
    const file = path.join(root, FOLDER, META);
    fs.writeFileSync(file, metaText.replace('"compressor": "zstd"', '"compressor": "gzip"'));
    const dir = new DataDirectory(root);
    await expect(dir.readAll(dir.list()[0]!)).rejects.toThrow(`${file}: compressor "gzip" is not one strax knows (blosc, zstd, lz4, bz2)`);
  });

  it('mutated metadata or chunk bytes: every dataset is read or refused, nothing else escapes', async () => {
    const chunkEdit = fc.oneof(
      fc.record({ kind: fc.constant('truncate' as const), chunk: fc.nat({ max: 2 }), keep: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.record({ kind: fc.constant('flip' as const), chunk: fc.nat({ max: 2 }), at: fc.nat(), byte: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('replace' as const), chunk: fc.nat({ max: 2 }), bytes: fc.uint8Array({ maxLength: 400 }) }),
    );
    const seen = { read: 0, refused: 0 };
    await fc.assert(fc.asyncProperty(fc.option(mutatedMetadata, { nil: undefined }), fc.array(chunkEdit, { maxLength: 2 }), async (meta, edits) => {
      const root = path.join(fs.mkdtempSync(path.join(path.dirname(pristine), 'h-')), ROOT);
      fs.cpSync(pristine, root, { recursive: true });
      try {
        if (meta !== undefined) fs.writeFileSync(path.join(root, FOLDER, META), meta);
        for (const e of edits) {
          const file = path.join(root, FOLDER, `records-z76fdyl6i3-00000${e.chunk}`);
          const bytes = fs.readFileSync(file);
          if (e.kind === 'truncate') fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * e.keep)));
          if (e.kind === 'flip') bytes[e.at % bytes.length]! ^= e.byte;
          if (e.kind === 'flip') fs.writeFileSync(file, bytes);
          if (e.kind === 'replace') fs.writeFileSync(file, e.bytes);
        }
        const dir = new DataDirectory(root);
        for (const ds of parsesOrRefuses(() => dir.list()) ?? []) seen[(await parsesOrRefusesAsync(() => dir.readAll(ds))) ? 'read' : 'refused']++;
      } finally {
        fs.rmSync(path.dirname(root), { recursive: true, force: true });
      }
    }), runs(150));
    // Both outcomes happened: the inputs reached the chunk reader, not only the metadata check.
    expect(seen.read).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  }, 120_000);
});

describe('DAQ live reader files', () => {
  it('any bytes, and damaged real frames, in each DAQ compressor: decoded or refused naming the file, the same with and without a decode buffer', async () => {
    const size = DAQ_RECORD.itemsize;
    const rows = fc.uint8Array({ minLength: 0, maxLength: 4 * size }).map((b) => b.subarray(0, b.length - (b.length % size)));
    const damage = fc.oneof(fc.constant(undefined), fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), fc.double({ min: 0, max: 1, noNaN: true }));
    await fc.assert(fc.asyncProperty(fc.constantFrom('lz4', 'blosc', 'zstd') as fc.Arbitrary<'lz4' | 'blosc' | 'zstd'>, fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((b) => ({ raw: b, damage: undefined })),
      fc.tuple(rows, damage).map(([r, d]) => ({ rows: r, damage: d })),
    ), async (compressor, input) => {
      let blob: Uint8Array;
      if ('raw' in input) blob = input.raw;
      else {
        blob = new Uint8Array(await getCompressor(compressor).compress(input.rows));
        if (Array.isArray(input.damage) && blob.length > 0) blob[input.damage[0] % blob.length]! ^= input.damage[1];
        if (typeof input.damage === 'number') blob = blob.subarray(0, Math.floor(blob.length * input.damage));
      }
      const file = '/live/012100/000000/reader_0_0';
      const out = await parsesOrRefusesAsync(() => decodeDaqFile(file, blob, compressor));
      if (out) expect(out.length % size).toBe(0);
      // Into a decode buffer (lz4 frames without checksums: WebAssembly in place; anything else as above): the same.
      const into = await parsesOrRefusesAsync(() => decodeDaqFile(file, blob, compressor, (n) => lz4DecodeBuffer(n).fill(0xa5)));
      expect(into === undefined).toBe(out === undefined);
      if (out && into) expect(Buffer.compare(Buffer.from(into), Buffer.from(out))).toBe(0);
    }), runs(300));
  });
});

describe('DAQ run records (run_info.json, daq_config.yaml)', () => {
  it('a malformed daq_config.yaml is refused naming the file (the YAML parser\'s error used to escape as an internal error)', async () => {
    const runDir = path.join(fs.mkdtempSync(path.join(path.dirname(pristine), 'live-')), '012100');
    fs.mkdirSync(path.join(runDir, 'run_record'), { recursive: true });
    fs.writeFileSync(path.join(runDir, 'run_record', 'daq_config.yaml'), 'processing_threads: {a: 1\n');
    fs.writeFileSync(path.join(runDir, 'run_record', 'run_info.json'), '{"start": "2026-01-01T00:00:00Z"}');
    await expect(readDaqSettings(runDir, channelRanges(XENONNT_CHANNEL_MAP), (t) => YAML.parse(t))).rejects.toThrow(
      new RegExp(`^${path.join(runDir, 'run_record', 'daq_config.yaml')}: not valid YAML \\(`));
  });

  it('any content: the reader settings are read or refused naming the file', async () => {
    const ranges = channelRanges(XENONNT_CHANNEL_MAP);
    const cfgValue = fc.oneof(
      fc.jsonValue(),
      fc.record({ processing_threads: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.double(), fc.string())), fc.jsonValue()), compressor: oddValue, strax_chunk_length: oddValue, strax_chunk_overlap: oddValue, strax_fragment_payload_bytes: oddValue }, { requiredKeys: [] }),
    );
    const text = (v: fc.Arbitrary<unknown>, dump: (x: unknown) => string) => fc.oneof(hostileString(), v.map(dump));
    const info = fc.oneof(fc.record({ start: oddValue }, { requiredKeys: [] }), fc.jsonValue(), fc.constant({ start: '2026-01-01T00:00:00Z' }));
    const dir = fs.mkdtempSync(path.join(path.dirname(pristine), 'live-'));
    let n = 0;
    await fc.assert(fc.asyncProperty(text(cfgValue, (x) => YAML.stringify(x)), text(info, (x) => JSON.stringify(x)), async (cfg, inf) => {
      const runDir = path.join(dir, String(n++).padStart(6, '0'));
      fs.mkdirSync(path.join(runDir, 'run_record'), { recursive: true });
      fs.writeFileSync(path.join(runDir, 'run_record', 'daq_config.yaml'), cfg);
      fs.writeFileSync(path.join(runDir, 'run_record', 'run_info.json'), inf);
      await parsesOrRefusesAsync(() => readDaqSettings(runDir, ranges, (t) => YAML.parse(t, { logLevel: 'error' })));
    }), runs(300));
  });
});

describe('LZ4 frames decoded by WebAssembly (lz4-into)', () => {
  it('damaged frames: the bytes lz4-napi decodes, or a FrameError, into either kind of buffer; never a WebAssembly trap', () => {
    // Rows of a few repeated patterns with a few random bytes: frames full of short and overlapping matches.
    const data = fc.tuple(fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { minLength: 1, maxLength: 300 }))
      .map(([patterns, picks]) => Buffer.concat(picks.map((k, i) => (i % 7 === 0 ? Buffer.from([k & 255]) : patterns[k % patterns.length]!))));
    const damage = fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => ({ kind: 'flip' as const, flips })),
      fc.double({ min: 0, max: 1, noNaN: true }).map((keep) => ({ kind: 'cut' as const, keep })),
      fc.integer({ min: -64, max: 64 }).map((delta) => ({ kind: 'size' as const, delta })),
    );
    fc.assert(fc.property(data, damage, fc.boolean(), (rows, d, inPlace) => {
      let frame: Uint8Array = compressFrameSync(rows);
      let bytes = rows.length;
      if (d.kind === 'flip') {
        frame = Uint8Array.from(frame);
        for (const [at, x] of d.flips) frame[at % frame.length]! ^= x;
      }
      if (d.kind === 'cut') frame = frame.subarray(0, Math.floor(frame.length * d.keep));
      if (d.kind === 'size') bytes = Math.max(0, bytes + d.delta);
      const out = inPlace ? lz4DecodeBuffer(bytes).fill(0xa5) : new Uint8Array(bytes).fill(0xa5);
      let napi: Buffer | undefined;
      try {
        napi = decompressFrameSync(Buffer.from(frame));
      } catch {
        napi = undefined;
      }
      try {
        decodeLz4FrameInto(frame, out);
      } catch (error) {
        if (!(error instanceof FrameError)) throw error; // a RuntimeError here would be a trap: an access outside memory
        expect((error as Error).message).not.toMatch(/\n/);
        return;
      }
      // Decoded: exactly what lz4-napi makes of the frame; both check the descriptor (reserved bits, checksum byte).
      expect(napi).toBeDefined();
      expect(Buffer.compare(Buffer.from(out), napi!)).toBe(0);
      if (d.kind === 'none') expect(Buffer.compare(Buffer.from(out), rows)).toBe(0);
    }), runs(400));
  });
});

