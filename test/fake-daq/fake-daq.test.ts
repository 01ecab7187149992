// fake-daq: deterministic live data, run record and truth file; the CLI writes runs under live.dir.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFakeDaq } from '../../src/stages/fake-daq.js';
import { readLiveChunk, readLiveIndex } from '../../src/strax/engine/live-data.js';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { rawRecordDtype } from '../../src/strax/dtype/standard.js';
import { makeTmpDir } from '../support/tmp.js';
import { cli } from '../engine/helpers.js';
import YAML from 'yaml';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { readAllRows } from '../../src/strax/storage/chunk-reader.js';

describe('fake-daq', () => {
  it('writes the same bytes for the same seed (daqflow-live/1 layout) and different bytes for another seed', async () => {
    const [a, b, c] = [makeTmpDir(), makeTmpDir(), makeTmpDir()];
    const legacy = { layout: 'daqflow-live/1' } as const;
    await runFakeDaq({ runs: [7], liveDir: a, sizeMb: 2, seed: 4, chunkMb: 1, ...legacy });
    await runFakeDaq({ runs: [7], liveDir: b, sizeMb: 2, seed: 4, chunkMb: 1, ...legacy });
    await runFakeDaq({ runs: [7], liveDir: c, sizeMb: 2, seed: 5, chunkMb: 1, ...legacy });
    const chunk = async (dir: string) => readLiveChunk(dir, readLiveIndex(dir, '000007'), 0);
    expect(Buffer.compare(Buffer.from(await chunk(a)), Buffer.from(await chunk(b)))).toBe(0);
    expect(Buffer.compare(Buffer.from(await chunk(a)), Buffer.from(await chunk(c)))).not.toBe(0);
  });

  it('writes strax raw_records (daqflow-live/1 layout): sorted, 110-sample records near a 16000 ADC baseline, quiet chunk edges', async () => {
    const dir = makeTmpDir();
    await runFakeDaq({ runs: [8], liveDir: dir, sizeMb: 2, chunkMb: 1, layout: 'daqflow-live/1' });
    const index = readLiveIndex(dir, '000008');
    expect(index.dtype).toBe(rawRecordDtype().descr);
    const rows = new RecordView(rawRecordDtype(), await readLiveChunk(dir, index, 0));
    expect(rows.length).toBeGreaterThan(100);
    for (let i = 1; i < rows.length; i++) expect(rows.time(i) >= rows.time(i - 1)).toBe(true);
    expect(rows.get(0, 'dt')).toBe(10);
    expect(Math.abs(Number(rows.get(0, 'data', 0)) - 16000)).toBeLessThan(20);
    expect(rows.time(0) - BigInt(index.chunks[0]!.start)).toBeGreaterThan(5000n);
    expect(BigInt(index.chunks[0]!.end) - rows.endtime(rows.length - 1)).toBeGreaterThan(5000n);
  });

  it('writes a run record and a truth file with S1/S2 times and areas', async () => {
    const dir = makeTmpDir();
    const s = await runFakeDaq({ runs: [9], liveDir: dir, sizeMb: 3, rateHz: 10 });
    expect(s.runs[0]!.interactions).toBeGreaterThan(0);
    const info = JSON.parse(fs.readFileSync(path.join(dir, '000009', 'run_record', 'run_info.json'), 'utf8'));
    expect(info).toMatchObject({ number: 9, name: '000009', mode: 'background' });
    expect(fs.existsSync(path.join(dir, '000009', 'run_record', 'daq_config.yaml'))).toBe(true);
    const truth = JSON.parse(fs.readFileSync(path.join(dir, '000009', 'truth.json'), 'utf8'));
    const t = truth.interactions[0];
    expect(BigInt(t.s2_time) - BigInt(t.s1_time)).toBe(BigInt(t.drift_ns));
    expect(t.s2_area).toBeGreaterThan(t.s1_area);
  });

  it('writes a run range from the CLI and rejects a bad run list with exit 3', () => {
    const cwd = makeTmpDir();
    const ok = cli('daqflow', ['fake-daq', '--runs', '000010-000011', '--size-mb', '1', '--live', path.join(cwd, 'live'), '--json'], cwd);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).runs.map((r: { run: string }) => r.run)).toEqual(['000010', '000011']);
    const bad = cli('daqflow', ['fake-daq', '--runs', 'abc'], cwd);
    expect(bad.code).toBe(3);
  });
});

describe('fake-daq in the DAQ layout', () => {
  it('writes chunk folders by default and replays a stored raw_records dataset into the same rows (CLI)', async () => {
    const cwd = makeTmpDir();
    const live = path.join(cwd, 'live');
    const strax = path.join(cwd, 'strax');
    const daq = ['--daq-chunk-s', '0.5', '--daq-overlap-s', '0.05', '--live', live];
    const w = cli('daqflow', ['fake-daq', '--runs', '000020', '--size-mb', '4', '--compressor', 'blosc', '--threads', '3', ...daq], cwd);
    expect(w.code, w.stderr).toBe(0);
    expect(fs.readdirSync(path.join(live, '000020', '000000')).sort()).toEqual(['fakedaq_reader_0_0', 'fakedaq_reader_0_1', 'fakedaq_reader_0_2']);
    expect(YAML.parse(fs.readFileSync(path.join(live, '000020', 'run_record', 'daq_config.yaml'), 'utf8'))).toMatchObject({ processing_threads: { fakedaq_reader_0: 3 }, compressor: 'blosc', strax_chunk_length: 0.5 });
    expect(cli('straxer', ['000020', '-t', 'raw_records', '--live', live, '--storage', strax], cwd).code).toBe(0);
    const r = cli('daqflow', ['fake-daq', '--runs', '000020', '--replay', strax, '--replay-run', '000021', ...daq, '--json'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(live, '000021', 'THE_END'))).toBe(true);
    expect(cli('straxer', ['000021', '-t', 'raw_records', '--live', live, '--storage', strax], cwd).code).toBe(0);
    const dir = new DataDirectory(strax);
    const [a, b] = await Promise.all([readAllRows(dir.find('000020', 'raw_records')), readAllRows(dir.find('000021', 'raw_records'))]);
    expect(a.length).toBeGreaterThan(0);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    const bad = cli('daqflow', ['fake-daq', '--runs', '000022', '--replay', strax], cwd);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('no complete raw_records of run 000022');
  }, 120_000);
});
