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
