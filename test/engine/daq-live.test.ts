// The DAQ's live layout (shared/design/LIVE_FORMAT.md): every case of its checklist, on real folders and files,
// with the results DAQReader gives worked out by hand from its rules.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { compressFrameSync } from 'lz4-napi';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { getCompressor } from '../../src/strax/compress/index.js';
import { RecordView } from '../../src/strax/dtype/rows.js';
import Blosc from 'numcodecs/blosc';
import { DAQ_RECORD, XENONNT_CHANNEL_MAP, channelRanges, decodeDaqFile, readDaqSettings, type DaqCompressor, type RunDocDaq } from '../../src/strax/engine/daq-live.js';
import { DaqRun, readyChunks, type DaqChunk } from '../../src/strax/engine/daq-reader.js';
import { DaqWriter } from '../../src/stages/fake-daq/daq-writer.js';
import { makeTmpDir } from '../support/tmp.js';
import { lz4DecodeBuffer } from '../../src/strax/compress/lz4-into.js';

const L = 1_000_000;
const O = 100_000;
const F = L + O;
const G = 1000;
const T0 = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z
const READER = 'host_reader_0';

interface Rec {
  t: number;
  ch: number;
  len?: number;
  tag?: number;
}

function rows(recs: Rec[], offset = 0n): Uint8Array {
  const out = new Uint8Array(recs.length * DAQ_RECORD.itemsize);
  const v = new DataView(out.buffer);
  recs.forEach((r, i) => {
    const o = i * DAQ_RECORD.itemsize;
    v.setBigInt64(o, BigInt(r.t) + offset, true);
    v.setInt32(o + 8, r.len ?? 110, true);
    v.setInt16(o + 12, 10, true);
    v.setInt16(o + 14, r.ch, true);
    v.setInt32(o + 16, r.len ?? 110, true);
    v.setInt16(o + 24, r.tag ?? 0, true);
  });
  return out;
}

async function blob(recs: Rec[] | null, compressor: DaqCompressor): Promise<Uint8Array> {
  if (recs === null) return new Uint8Array(0);
  const raw = rows(recs);
  return compressor === 'lz4' ? compressFrameSync(Buffer.from(raw)) : getCompressor(compressor).compress(raw);
}

interface RunSpec {
  threads?: number;
  compressor?: DaqCompressor;
  start?: string;
  /** folder → file name → records (null: a zero-byte file). */
  folders: Record<string, Record<string, Rec[] | null>>;
}

async function writeRun(spec: RunSpec): Promise<string> {
  const dir = makeTmpDir('daq-run-');
  const compressor = spec.compressor ?? 'lz4';
  fs.mkdirSync(path.join(dir, 'run_record'));
  fs.writeFileSync(path.join(dir, 'run_record', 'run_info.json'), JSON.stringify({ start: spec.start ?? '2026-01-01T00:00:00.000Z' }));
  fs.writeFileSync(path.join(dir, 'run_record', 'daq_config.yaml'), YAML.stringify({ processing_threads: { [READER]: spec.threads ?? 2 }, compressor, strax_chunk_length: L / 1e9, strax_chunk_overlap: O / 1e9 }));
  for (const [folder, files] of Object.entries(spec.folders)) {
    fs.mkdirSync(path.join(dir, folder), { recursive: true });
    for (const [name, recs] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, folder, name), folder === 'THE_END' ? '...my only friend\n' : await blob(recs, compressor));
    }
  }
  return dir;
}

/** Both threads' files, thread 1 empty unless given. */
const both = (a: Rec[] | null, b: Rec[] | null = null) => ({ [`${READER}_1`]: a, [`${READER}_2`]: b });
const ENDED = { THE_END: both(null) };

async function daqRun(dir: string, runDoc?: () => Promise<RunDocDaq | null>): Promise<DaqRun> {
  return new DaqRun(dir, await readDaqSettings(dir, channelRanges(XENONNT_CHANNEL_MAP), (t) => YAML.parse(t), runDoc));
}

async function readAll(dir: string, follow?: { timeoutMs: number }): Promise<DaqChunk[]> {
  const run = await daqRun(dir);
  const out: DaqChunk[] = [];
  for await (const i of readyChunks(run, { follow: follow !== undefined, pollMs: 20, timeoutMs: follow?.timeoutMs ?? 0, runId: 'test' })) out.push(await run.load(i));
  return out;
}

function view(chunk: DaqChunk, type = 'raw_records'): RecordView {
  return new RecordView(DAQ_RECORD, chunk.outputs[type] ?? new Uint8Array(0));
}

const times = (v: RecordView) => Array.from({ length: v.length }, (_, i) => v.time(i) - T0);

describe('DAQ live layout (DAQReader rules)', () => {
  it('reads two chunks broken at the first quiet gap of the overlap window; the post and pre halves meet', async () => {
    // The last record reaches past e − G, so DAQReader searches the window for a quiet gap.
    const post = [{ t: L + 100, ch: 3 }, { t: L + 50_000, ch: 4 }, { t: F - 300, ch: 5 }];
    const dir = await writeRun({
      folders: { '000000': both([{ t: 5000, ch: 1 }]), '000000_post': both(post), '000001_pre': both(post), '000001': both([{ t: F + 10, ch: 2 }]), ...ENDED },
    });
    const [c0, c1, more] = await readAll(dir);
    expect(more).toBeUndefined();
    // not_before = s + R·D = L + 1100; the record at L+100 ends at L+1200 → the first record ≥ 1000 ns later breaks.
    expect(c0!.start - T0).toBe(0n);
    expect(c0!.end - T0).toBe(BigInt(L + 50_000));
    expect(c1!.start).toBe(c0!.end);
    expect(times(view(c0!))).toEqual([5000n, BigInt(L + 100)]);
    expect(times(view(c1!))).toEqual([BigInt(L + 50_000), BigInt(F - 300), BigInt(F + 10)]);
  });

  it('yields zero chunks for a run shorter than one chunk (no 000000_post)', async () => {
    const dir = await writeRun({ folders: { '000000': both([{ t: 5000, ch: 1 }]), ...ENDED } });
    expect(await readAll(dir)).toEqual([]);
  });

  it('inserts artificial deadtime on both sides of a dense overlap window; the chunks stay contiguous', async () => {
    const dense = Array.from({ length: 199 }, (_, k) => ({ t: L + 500 * k, ch: k % 400 }));
    const dir = await writeRun({
      folders: { '000000': both([{ t: 5000, ch: 1 }]), '000000_post': both(dense), '000001_pre': both(dense), '000001': both([{ t: F + 2000, ch: 2 }]), ...ENDED },
    });
    const [c0, c1] = await readAll(dir);
    const brk = BigInt(F - G);
    expect(c0!.end - T0).toBe(brk);
    expect(c1!.start).toBe(c0!.end);
    expect(c0!.deadtime && c1!.deadtime).toBe(true);
    const rr0 = view(c0!);
    for (let i = 0; i < rr0.length; i++) expect(rr0.endtime(i) - T0 <= brk).toBe(true);
    expect(rr0.length).toBe(1 + dense.filter((r) => r.t + 1100 <= F - G).length);
    const dead0 = view(c0!, 'raw_records_aqmon');
    expect([dead0.length, dead0.time(0) - T0, dead0.get(0, 'length'), dead0.get(0, 'channel')]).toEqual([1, brk - 1100n, 110, 799]);
    const dead1 = view(c1!, 'raw_records_aqmon');
    expect([dead1.length, dead1.time(0) - T0, dead1.get(0, 'length'), dead1.get(0, 'dt'), dead1.get(0, 'pulse_length')]).toEqual([1, brk, 100, 10, 0]);
    expect(times(view(c1!))).toEqual([BigInt(F + 2000)]);
  });

  it('breaks a one-record overlap with deadtime when the record reaches the window end, at e − G when it does not', async () => {
    const late = [{ t: F - 500, ch: 7 }];
    const a = await writeRun({ folders: { '000000': both([{ t: 10, ch: 1 }]), '000000_post': both(late), '000001_pre': both(late), '000001': both(null), ...ENDED } });
    const [a0, a1] = await readAll(a);
    expect(a0!.end - T0).toBe(BigInt(F - G));
    expect(times(view(a0!))).toEqual([10n]);
    expect(view(a1!, 'raw_records_aqmon').length).toBe(1);
    const early = [{ t: L + 10, ch: 7 }];
    const b = await writeRun({ folders: { '000000': both([{ t: 10, ch: 1 }]), '000000_post': both(early), '000001_pre': both(early), '000001': both(null), ...ENDED } });
    const [b0, b1] = await readAll(b);
    expect(b0!.end - T0).toBe(BigInt(F - G));
    expect(times(view(b0!))).toEqual([10n, BigInt(L + 10)]);
    expect(b0!.deadtime || b1!.deadtime).toBe(false);
  });

  it('breaks an empty overlap (zero-byte lz4 and blosc files) at e − G', async () => {
    for (const compressor of ['lz4', 'blosc'] as const) {
      const dir = await writeRun({ compressor, folders: { '000000': both([{ t: 10, ch: 1 }], null), '000000_post': both(null), '000001_pre': both(null), '000001': both([{ t: F + 5, ch: 2 }]), ...ENDED } });
      const [c0, c1] = await readAll(dir);
      expect(c0!.end - T0, compressor).toBe(BigInt(F - G));
      expect(times(view(c0!))).toEqual([10n]);
      expect(times(view(c1!))).toEqual([BigInt(F + 5)]);
    }
  });

  it('routes records as redax does: t = L − 1 central, t = L and F − 1 to the overlap window (post = next pre), t = F to the next chunk', async () => {
    const dir = makeTmpDir('daq-writer-');
    const w = new DaqWriter({ runDir: dir, t0: T0, chunkNs: L, overlapNs: O, reader: READER, threads: 2, threadOf: (ch) => ch % 2, compressor: 'lz4' });
    await w.add(rows([{ t: L - 1, ch: 1 }, { t: L, ch: 2 }, { t: F - 1, ch: 3 }, { t: F, ch: 5 }], T0), T0 + BigInt(F));
    await w.finish();
    const { decodeDaqFile } = await import('../../src/strax/engine/daq-live.js');
    const content = async (folder: string) => {
      const out: Array<[string, number, bigint[]]> = [];
      for (const name of fs.readdirSync(path.join(dir, folder)).sort()) {
        const file = path.join(dir, folder, name);
        const v = new RecordView(DAQ_RECORD, await decodeDaqFile(file, fs.readFileSync(file), 'lz4'));
        out.push([name, fs.statSync(file).size === 0 ? 0 : 1, Array.from({ length: v.length }, (_, i) => v.time(i))]);
      }
      return out;
    };
    expect(await content('000000')).toEqual([[`${READER}_0`, 0, []], [`${READER}_1`, 1, [BigInt(L - 1)]]]);
    expect(await content('000000_post')).toEqual([[`${READER}_0`, 1, [BigInt(L)]], [`${READER}_1`, 1, [BigInt(F - 1)]]]);
    expect(await content('000001_pre')).toEqual(await content('000000_post'));
    expect(await content('000001')).toEqual([[`${READER}_1`, 1, [BigInt(F)]]]); // last chunk: only threads with data there
    expect(fs.readdirSync(path.join(dir, 'THE_END')).sort()).toEqual([`${READER}_0`, `${READER}_1`]);
    expect(fs.existsSync(path.join(dir, '000000_temp'))).toBe(true); // staging folders stay, as redax leaves them
  });

  it('refuses records before the window start (a negative time in chunk 0), naming the folder', async () => {
    const dir = await writeRun({ folders: { '000000': both([{ t: -20, ch: 1 }]), '000000_post': both(null), '000001_pre': both(null), '000001': both(null), ...ENDED } });
    await expect(readAll(dir)).rejects.toThrow(/000000: records start from -20 to -20 ns, outside this folder's window \[0, 1000000\)/);
  });

  it('refuses an unknown reader, one file too many, a dot-file and fake_daq-style THE_END names, naming the file', async () => {
    const base = { '000000': both([{ t: 10, ch: 1 }]), '000000_post': both(null), '000001_pre': both(null), '000001': both(null), ...ENDED };
    const unknown = await writeRun({ folders: { ...base, '000001': { ...both(null), other_reader_0_5: null } } });
    await expect(readAll(unknown)).rejects.toThrow(/other_reader_0_5: reader "other_reader_0" .* is not one of the run's readout threads \(host_reader_0\)/);
    const tooMany = await writeRun({ folders: { ...base, '000000': { ...both([{ t: 10, ch: 1 }]), [`${READER}_3`]: null } } });
    await expect(readAll(tooMany)).rejects.toThrow(/reader host_reader_0 wrote 3 files, but it has 2 thread\(s\)/);
    const dot = await writeRun({ folders: { ...base, '000000_post': { ...both(null), '.nfs0001': null } } });
    await expect(readAll(dot)).rejects.toThrow(/\.nfs0001: reader ""/);
    const fakeDaqEnd = await writeRun({ folders: { ...base, THE_END: { '000000': null, '000001': null } } });
    await expect(readAll(fakeDaqEnd)).rejects.toThrow(/THE_END\/000000: reader ""/);
  });

  it('reads a last chunk whose folders hold only the files of threads that still had data (threads ending in different chunks)', async () => {
    const dir = await writeRun({
      folders: {
        '000000': both([{ t: 10, ch: 1 }], [{ t: 20, ch: 2 }]), '000000_post': both(null), '000001_pre': both(null),
        '000001': { [`${READER}_1`]: [{ t: F + 30, ch: 1 }] }, ...ENDED,
      },
    });
    const chunks = await readAll(dir);
    expect(chunks.map((c) => times(view(c)))).toEqual([[10n, 20n], [BigInt(F + 30)]]);
    expect(chunks[1]!.end - T0).toBe(BigInt(F + L)); // no _post: the chunk ends at te
  });

  it('waits for THE_END from every thread: without --follow it is an error, with --follow it times out', async () => {
    const dir = await writeRun({ folders: { '000000': both([{ t: 10, ch: 1 }]), '000000_post': both(null), '000001_pre': both(null), '000001': { [`${READER}_1`]: null }, THE_END: { [`${READER}_1`]: null } } });
    await expect(readAll(dir)).rejects.toThrow(/still being written .* use straxer --follow/);
    const t = Date.now();
    await expect(readAll(dir, { timeoutMs: 300 })).rejects.toThrow(/no live chunk became ready for 0 s \(waiting for chunk 1/);
    expect(Date.now() - t).toBeGreaterThanOrEqual(300);
  });

  it('ignores a _pre folder for chunk 0', async () => {
    const dir = await writeRun({ folders: { '000000_pre': both([{ t: -50_000, ch: 1 }]), '000000': both([{ t: 10, ch: 1 }]), '000000_post': both(null), '000001_pre': both(null), '000001': both(null), ...ENDED } });
    const [c0] = await readAll(dir);
    expect(c0!.start).toBe(T0);
    expect(times(view(c0!))).toEqual([10n]);
  });

  it('refuses a channel in a gap of the map or above it, naming the channel', async () => {
    for (const ch of [495, 3000]) {
      const dir = await writeRun({ folders: { '000000': both([{ t: 10, ch }]), '000000_post': both(null), '000001_pre': both(null), '000001': both(null), ...ENDED } });
      await expect(readAll(dir)).rejects.toThrow(new RegExp(`channel ${ch} .* is in no range of live.channel_map`));
    }
  });

  it('truncates a fractional run start to whole seconds and shifts times by it', async () => {
    const dir = await writeRun({ start: '2026-01-01T00:00:00.700Z', folders: { '000000': both([{ t: 10, ch: 1 }]), '000000_post': both(null), '000001_pre': both(null), '000001': both(null), ...ENDED } });
    const [c0] = await readAll(dir);
    expect(c0!.start).toBe(T0);
    expect(view(c0!).time(0)).toBe(T0 + 10n);
  });

  it('drops the data of the last _post after its break', async () => {
    const post = [{ t: L + 100, ch: 3 }, { t: L + 60_000, ch: 4 }, { t: F - 300, ch: 5 }];
    const dir = await writeRun({ folders: { '000000': both([{ t: 10, ch: 1 }]), '000000_post': both(post), ...ENDED } });
    const [c0, more] = await readAll(dir);
    expect(more).toBeUndefined();
    expect(c0!.end - T0).toBe(BigInt(L + 60_000));
    expect(times(view(c0!))).toEqual([10n, BigInt(L + 100)]);
  });

  it('sorts by (time, channel) keeping file order (code-point order of names) for ties, and splits by the channel map', async () => {
    const dir = await writeRun({
      threads: 11,
      folders: {
        '000000': { [`${READER}_9`]: [{ t: 10, ch: 5, tag: 9 }, { t: 5, ch: 600 }], [`${READER}_10`]: [{ t: 10, ch: 5, tag: 10 }, { t: 10, ch: 4 }, { t: 7, ch: 2000 }] },
        '000000_post': { [`${READER}_9`]: null }, '000001_pre': { [`${READER}_9`]: null }, '000001': { [`${READER}_9`]: null }, THE_END: { [`${READER}_9`]: null, [`${READER}_10`]: null },
      },
    });
    const run = await daqRun(dir);
    expect(run.ended()).toBe(false); // 2 of 11 THE_END files
    fs.mkdirSync(path.join(dir, 'THE_END'), { recursive: true });
    for (let k = 0; k < 9; k++) fs.writeFileSync(path.join(dir, 'THE_END', `${READER}_${100 + k}`), '');
    const [c0] = await readAll(dir);
    const rr = view(c0!);
    expect(Array.from({ length: rr.length }, (_, i) => [rr.time(i) - T0, rr.get(i, 'channel'), rr.get(i, 'data', 0)])).toEqual([[10n, 4, 0], [10n, 5, 10], [10n, 5, 9]]);
    expect(times(view(c0!, 'raw_records_he'))).toEqual([5n]);
    expect(times(view(c0!, 'raw_records_nv'))).toEqual([7n]);
  });

  it.each(['lz4', 'blosc', 'zstd'] as const)('reads %s files into reused buffers (and decodes lz4 into reused ones): a chunk already loaded keeps its rows while later chunks reuse them', async (compressor) => {
    // Many records per file, so that the decode buffers are worth reusing; every chunk's rows are distinct (tag).
    const recs = (chunk: number, thread: number) => Array.from({ length: 500 }, (_, k) => ({ t: chunk * F + 1000 + 1500 * k + thread, ch: 2 * k % 490 + thread, tag: chunk * 1000 + k }));
    const folders: RunSpec['folders'] = { ...ENDED };
    // The overlap windows hold rows too (the same in _post and the next _pre), so each load decodes six files.
    const overlap = (c: number, thread: number) => Array.from({ length: 40 }, (_, k) => ({ t: c * F + L + 2000 + 1500 * k + thread, ch: 100 + thread, tag: 900 + k }));
    for (let c = 0; c < 4; c++) {
      folders[String(c).padStart(6, '0')] = both(recs(c, 0), recs(c, 1));
      folders[`${String(c).padStart(6, '0')}_post`] = both(overlap(c, 0), overlap(c, 1));
      folders[`${String(c + 1).padStart(6, '0')}_pre`] = both(overlap(c, 0), overlap(c, 1));
    }
    const dir = await writeRun({ folders, compressor });
    const run = await daqRun(dir);
    const sha = (c: DaqChunk) => crypto.createHash('sha256').update(c.outputs.raw_records!).digest('hex');
    const first = await run.load(0);
    const before = sha(first);
    const later = [await run.load(1), await run.load(2), await run.load(3), await run.load(0)];
    expect(sha(first)).toBe(before);
    expect(sha(later[3]!)).toBe(before);
    expect(new Set([before, ...later.slice(0, 3).map(sha)]).size).toBe(4);
    const v = view(first);
    const tags = Array.from({ length: v.length }, (_, i) => Number(v.get(i, 'data', 0)));
    expect(tags.filter((t) => t < 900).sort((a, b) => a - b)).toEqual([...Array.from({ length: 500 }, (_, k) => [k, k]).flat()]);
    expect(tags.filter((t) => t >= 900).length).toBeGreaterThan(0); // rows of the _post window, before its break
  });

  it('decodes an lz4 frame as redax writes it (256 kB blocks, no checksums, no content size) in place into the buffer given', async () => {
    const raw = rows(Array.from({ length: 3000 }, (_, k) => ({ t: 10 + 400 * k, ch: k % 494, tag: k })));
    const dir = makeTmpDir('daq-redax-lz4-');
    const plain = path.join(dir, 'plain');
    fs.writeFileSync(plain, raw);
    execFileSync('lz4', ['-q', '-f', '-B6', '--no-frame-crc', plain, `${plain}.lz4`]);
    const frame = fs.readFileSync(`${plain}.lz4`);
    expect([frame[4]! & 0x1d, frame[5]! >> 4]).toEqual([0, 6]); // FLG: no content size, checksums or dictionary; BD: 256 kB
    const given: Uint8Array[] = [];
    const out = await decodeDaqFile('x.lz4', frame, 'lz4', (n) => {
      const b = lz4DecodeBuffer(n);
      given.push(b);
      return b;
    });
    expect(given).toHaveLength(1);
    expect(out.buffer).toBe(given[0]!.buffer);
    expect(Buffer.compare(Buffer.from(out), Buffer.from(raw))).toBe(0);
    // No buffer given (null): the decoder's own.
    expect(Buffer.compare(Buffer.from(await decodeDaqFile('x.lz4', frame, 'lz4', () => null)), Buffer.from(raw))).toBe(0);
  });

  it('refuses a channel map that DAQReader could not use: descending ranges, 799 outside, two ranges for one output', () => {
    expect(() => channelRanges({ tpc: [0, 493], he: [400, 752], aqmon: [790, 807] })).toThrow(/live.channel_map.he: ranges must be ascending/);
    expect(() => channelRanges({ tpc: [0, 493] })).toThrow(/channel 799 \(artificial deadtime\) must be inside a range/);
    expect(() => channelRanges({ nveto: [2000, 2119], aqmon: [2200, 2300], nveto2: [2400, 2500] })).toThrow(/nveto2: nveto already goes to raw_records_nv/);
  });

  it('takes the run start and daq_config from the run document when the live run has no run record (real DAQ data)', async () => {
    const dir = await writeRun({ compressor: 'zstd', folders: { '000000': both([{ t: 10, ch: 1 }]), '000000_post': both(null), ...ENDED } });
    fs.rmSync(path.join(dir, 'run_record'), { recursive: true });
    await expect(daqRun(dir)).rejects.toThrow(/no run record at .* and no start\/daq_config for run .* in the runs DB/);
    const doc = { start: new Date('2026-01-01T00:00:07.250Z'), daq_config: { processing_threads: { [READER]: 2 }, compressor: 'zstd', strax_chunk_length: L / 1e9, strax_chunk_overlap: O / 1e9 } };
    const run = await daqRun(dir, async () => doc);
    expect(run.settings.t0).toBe(T0 + 7_000_000_000n);
    expect(run.settings.compressor).toBe('zstd');
    const c0 = await run.load(0);
    expect(new RecordView(DAQ_RECORD, c0.outputs.raw_records!).time(0)).toBe(T0 + 7_000_000_010n);
  });

  it('decodes lz4 frames with 256 KB blocks and a content checksum (lz4 CLI) and blosc with the lz4 codec and byte shuffle as redax writes it (c-blosc via numcodecs)', async () => {
    const recs = Array.from({ length: 3000 }, (_, k) => ({ t: 10 + 400 * k, ch: k % 494, tag: k }));
    const raw = rows(recs);
    const dir = makeTmpDir('daq-frames-');
    const plain = path.join(dir, 'plain');
    fs.writeFileSync(plain, raw);
    execFileSync('lz4', ['-q', '-f', '-B6', plain, `${plain}.lz4`]);
    const lz4 = fs.readFileSync(`${plain}.lz4`);
    expect(lz4[4]! & 0x04).toBe(0x04); // FLG: content checksum
    expect(lz4[5]! >> 4).toBe(6); // BD: 256 KB blocks (3000 records = 732 KB: three blocks)
    expect(Buffer.compare(Buffer.from(await decodeDaqFile('x.lz4', lz4, 'lz4')), Buffer.from(raw))).toBe(0);
    const blosc = await new Blosc({ cname: 'lz4', clevel: 5, shuffle: 1 }).encode(raw);
    expect([blosc[2]! & 0x1, blosc[2]! >> 5]).toEqual([1, 1]); // flags: byte shuffle, codec lz4
    expect(Buffer.compare(Buffer.from(await decodeDaqFile('x.blosc', blosc, 'blosc')), Buffer.from(raw))).toBe(0);
  });

  it('refuses a file that is not whole 244-byte records, naming it', async () => {
    await expect(decodeDaqFile('/live/000000/r_1', compressFrameSync(Buffer.alloc(243)), 'lz4')).rejects.toThrow(/\/live\/000000\/r_1: decodes to 243 bytes, not a whole number of 244-byte raw_records/);
    await expect(decodeDaqFile('/live/000000/r_1', Buffer.from('not a frame at all'), 'lz4')).rejects.toThrow(/\/live\/000000\/r_1: live file is damaged: not an LZ4 frame/);
  });

  it('drops the *blank channels and refuses a record crossing the end of a last chunk without _post (strax Chunk check)', async () => {
    const blank = await writeRun({ folders: { '000000': both([{ t: 10, ch: 999 }, { t: 20, ch: 1 }]), '000000_post': both(null), '000001_pre': both(null), '000001': both(null), ...ENDED } });
    const [c0] = await readAll(blank);
    expect(Object.keys(c0!.outputs).sort()).toEqual(['raw_records', 'raw_records_aqmon', 'raw_records_aqmon_nv', 'raw_records_aux_mv', 'raw_records_he', 'raw_records_mv', 'raw_records_nv']);
    expect(times(view(c0!))).toEqual([20n]);
    const crossing = await writeRun({ folders: { '000000': both([{ t: 10, ch: 1 }]), '000000_post': both(null), '000001_pre': both(null), '000001': both([{ t: F + L - 500, ch: 1 }]), ...ENDED } });
    await expect(readAll(crossing)).rejects.toThrow(/000001 \(raw_records\): rows span .* outside the chunk .* a record crosses the chunk end/);
  });
});
