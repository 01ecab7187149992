// straxer on bad input: unknown target or option (exit 3), missing run, corrupt live chunk (nothing left complete).
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { makeTmpDir } from '../support/tmp.js';
import { RUN, cli, makeLiveRun } from './helpers.js';

describe('straxer bad input', () => {
  let live: string;
  let cwd: string;
  beforeAll(async () => {
    live = await makeLiveRun({ sizeMb: 3, chunkMb: 1 });
    cwd = makeTmpDir();
  });

  it('exits 3 on an unknown target and lists the available targets', () => {
    const r = cli('straxer', [RUN, '--target', 'evnt_info', '--live', live, '--storage', path.join(cwd, 's1')], cwd);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('unknown target "evnt_info"');
    expect(r.stderr).toContain('event_info');
    expect(r.stderr).toContain('peak_basics');
  });

  it('exits 3 naming an unknown plugin option, via --option and via --set processing.options', () => {
    const r = cli('straxer', [RUN, '-t', 'peaks', '--option', 'hit_min_amplitud=20', '--live', live, '--storage', path.join(cwd, 's2')], cwd);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('unknown plugin option "hit_min_amplitud"');
    const s = cli('straxer', [RUN, '-t', 'peaks', '--set', 'processing.options.nonsense=1', '--live', live, '--storage', path.join(cwd, 's2')], cwd);
    expect(s.code).toBe(3);
    expect(s.stderr).toContain('"nonsense"');
  });

  it('exits 3 when an option value has the wrong type', () => {
    const r = cli('straxer', [RUN, '-t', 'hits', '--option', 'hit_min_amplitude=high', '--live', live, '--storage', path.join(cwd, 's3')], cwd);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('hit_min_amplitude');
  });

  it('fails a run that has no live data, naming the run and the folder', () => {
    const r = cli('straxer', ['012999', '-t', 'records', '--live', live, '--storage', path.join(cwd, 's4')], cwd);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('012999');
    expect(r.stderr).toContain(path.join(live, '012999'));
  });

  it.each([
    [1, '000001/fakedaq_reader_0_1', 's5'],
    [2, '000001/fakedaq_reader_0_2', 's6'],
  ])('fails on a corrupt live chunk with %i worker(s): exit 1, the file named, nothing left complete', (workers, chunk, store) => {
    const copy = makeTmpDir();
    fs.cpSync(live, copy, { recursive: true });
    const file = path.join(copy, RUN, chunk);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
    const storage = path.join(cwd, store);
    const r = cli('straxer', [RUN, '-t', 'event_info', '--live', copy, '--storage', storage, '--workers', String(workers)], cwd);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(file);
    const list = new DataDirectory(storage).list();
    expect(list.length).toBeGreaterThan(0);
    expect(list.filter((d) => d.state === 'complete')).toEqual([]);
  });

  it('lists targets with --list-targets --json', () => {
    const r = cli('straxer', ['--list-targets', '--json'], cwd);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).targets.map((t: { data_type: string }) => t.data_type)).toContain('event_info');
  });
});
