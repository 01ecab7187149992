// `daqflow runs …` as a real process on the same runs DB as auto-process passes: each action changes what the next pass does.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyAction } from '../../src/stages/auto-process/operator.js';
import { runCli } from '../cli/run-cli.js';
import { makeTmpDir } from '../support/tmp.js';
import { autoSetup, endedRuns, passUntil, type AutoSetup } from './auto-process-helpers.js';

const open: AutoSetup[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.store.close();
});

function runs(s: AutoSetup, ...args: string[]) {
  return runCli(['runs', ...args, '--config', path.join(s.dir, 'config.yaml')], { cwd: s.dir, env: { DAQFLOW_OPERATOR: 'alice' } });
}

describe('daqflow runs', () => {
  it('list and show create no runs DB file: list shows no runs and says why, show names the missing file', () => {
    const dir = makeTmpDir('daqflow-runs-nodb-');
    fs.writeFileSync(path.join(dir, 'config.yaml'), 'work_dir: work\n');
    const file = path.join(dir, 'work', 'runs.sqlite');
    const cli = (...args: string[]) => runCli(['runs', ...args, '--config', path.join(dir, 'config.yaml')], { cwd: dir });
    const list = cli('list', '--json');
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual({ stage: 'process', runs: [] });
    expect(list.stderr).toContain(`runs list: no runs: the runs DB ${file} does not exist yet`);
    const show = cli('show', '000001');
    expect(show.code).toBe(3);
    expect(show.stderr).toContain(`run 000001 is not in the runs DB: the runs DB ${file} does not exist yet`);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('abandon keeps the next pass away from a run; retry of a given-up run lets the next pass take it again', async () => {
    const s = await autoSetup({ auto_process: { max_failures: 1 } });
    open.push(s);
    await s.store.upsertRuns(endedRuns([1, 2]));
    expect(runs(s, 'abandon', '000001').code).toBe(3);
    const abandoned = runs(s, 'abandon', '000001', '--reason', 'pmt trip');
    expect(abandoned.code, abandoned.stderr).toBe(0);
    // Run 2 fails once (no output): with max_failures 1 that is the end.
    await passUntil(s, async () => (await s.state(2))?.state === 'failed');
    expect((await s.state(1))?.state).toBe('abandoned');
    expect((await s.pass({ now: () => new Date(Date.now() + 3_600_000) })).auto_process.submitted).toEqual([]);

    const retry = runs(s, 'retry', '2');
    expect(retry.code, retry.stderr).toBe(0);
    const st = await s.state(2);
    expect([st?.state, st?.n_failures]).toEqual(['pending', 0]);
    expect(st?.history).toEqual([expect.objectContaining({ action: 'retry', by: expect.stringMatching(/^alice@/), from: 'failed' })]);
    expect((await s.pass()).auto_process.submitted.map((x) => x.run)).toEqual([2]);

    const list = runs(s, 'list', '--state', 'abandoned', '--json');
    const listed = JSON.parse(list.stdout).runs as { run: number; reason: string }[];
    expect(listed.map((r) => r.run)).toEqual([1]);
    expect(listed[0]!.reason).toMatch(/^abandoned by alice@\S+: pmt trip$/);
    const show = JSON.parse(runs(s, 'show', '000001', '--json').stdout);
    expect(show.daqflow.process.history[0]).toMatchObject({ action: 'abandon', reason: 'pmt trip', from: 'pending' });
  }, 60_000);

  it('hold keeps the next pass away until release; fail takes a run out of flight; retry of an in-flight run is refused', async () => {
    const s = await autoSetup();
    open.push(s);
    await s.store.upsertRuns(endedRuns([5]));
    expect(runs(s, 'hold', '5').code).toBe(0);
    expect((await s.store.getRun(5))?.tags?.map((t) => t.name)).toEqual(['hold']);
    expect((await s.pass()).auto_process.submitted).toEqual([]);
    expect(runs(s, 'release', '5').code).toBe(0);
    expect((await s.store.getRun(5))?.tags).toEqual([]);
    expect((await s.pass()).auto_process.submitted.map((x) => x.run)).toEqual([5]);
    // A run a job owns: retry is refused, fail takes it out of flight.
    await s.store.upsertRuns(endedRuns([6]));
    await s.store.updateStage(6, 'process', { set: { state: 'running', job_id: 'x' } });
    const refused = runs(s, 'retry', '6');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/run 000006 is running: a job owns it; use daqflow runs fail/);
    const fail = runs(s, 'fail', '6', '--reason', 'job hung');
    expect(fail.code, fail.stderr).toBe(0);
    expect((await s.state(6))?.reason).toMatch(/^failed by alice@\S+: job hung$/);
    expect((await s.state(6))?.state).toBe('failed');
    expect(runs(s, 'show', '404').stderr).toMatch(/run 000404 is not in the runs DB/);
  }, 60_000);

  it('hold and release change only the hold tag, even while other software adds and removes tags at the same moment', async () => {
    const s = await autoSetup();
    open.push(s);
    await s.store.upsertRuns(endedRuns([8], { tags: [{ name: 'blinded', user: 'daq' }, { name: 'gone', user: 'daq' }] }));
    // The DAQ's tag writes race each operator action (same process: they interleave at every await).
    const others = (i: number) => [s.store.addTag(8, { name: `daq${i}`, user: 'daq' }), s.store.removeTag(8, i === 0 ? 'gone' : `daq${i - 1}`)];
    await Promise.all([applyAction(s.store, s.config, 8, 'hold', null), ...others(0)]);
    expect((await s.store.getRun(8))?.tags?.map((t) => t.name).sort()).toEqual(['blinded', 'daq0', 'hold']);
    await Promise.all([applyAction(s.store, s.config, 8, 'release', null), ...others(1)]);
    expect((await s.store.getRun(8))?.tags?.map((t) => t.name).sort()).toEqual(['blinded', 'daq1']);
    expect((await s.state(8))?.history).toEqual([expect.objectContaining({ action: 'hold' }), expect.objectContaining({ action: 'release' })]);
  });
});
