// submit against the real single-node Slurm (scripts/slurm-up.sh): Slurm and PBS paths, and an unreachable controller.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PbsScheduler, SlurmScheduler } from '../../src/batch/index.js';
import { configFromObject } from '../../src/config/index.js';
import { ServiceUnavailableError } from '../../src/errors.js';
import { memoryLogger } from '../../src/log/index.js';
import { openRunStore, stageOf } from '../../src/rundb/index.js';
import { runSubmit } from '../../src/stages/submit.js';
import { DataDirectory } from '../../src/strax/index.js';
import { NO_SLURM, holdCluster } from '../batch/helpers.js';
import { runCli } from '../cli/run-cli.js';
import { makeTmpDir } from '../support/tmp.js';

function setup(daqflowCommand: string[]) {
  const dir = makeTmpDir();
  const { config } = configFromObject(
    { work_dir: 'work', scheduler: { kind: 'slurm', daqflow_command: daqflowCommand, poll_interval_s: 1, mem_gb: 0.1, walltime_min: 5 } },
    { baseDir: dir, cwd: dir },
  );
  return { dir, config, logger: memoryLogger() };
}

async function states(config: ReturnType<typeof setup>['config'], runs: number[]) {
  const store = await openRunStore(config);
  try {
    return await Promise.all(runs.map(async (r) => {
      const doc = await store.getRun(r);
      return doc ? stageOf(doc, store.stateField, 'process') : undefined;
    }));
  } finally {
    await store.close();
  }
}

describe.skipIf(NO_SLURM)('submit on a real Slurm', () => {
  holdCluster();

  it('submits 3 fake-daq runs as one array job: the jobs run straxer, products appear, and the runs DB goes submitted → running → done', async () => {
    const dir = makeTmpDir();
    const sets = ['--set', `work_dir=${path.join(dir, 'work')}`];
    // 2 MB is ~0.4 s of data: short DAQ chunks so each run has several (with 1 s chunks it would have none).
    const daq = runCli(['fake-daq', '--runs', '012100-012102', '--size-mb', '2', '--daq-chunk-s', '0.1', '--daq-overlap-s', '0.01', ...sets], { cwd: dir });
    expect(daq.code, daq.stderr).toBe(0);
    const { config } = configFromObject({ work_dir: 'work', scheduler: { kind: 'slurm', poll_interval_s: 1, mem_gb: 1, walltime_min: 10 } }, { baseDir: dir, cwd: dir });
    const runs = [12100, 12101, 12102];
    const submit = runCli(['submit', '012100-012102', '--target', 'event_info', '--scheduler', 'slurm', '--json', ...sets], { cwd: dir });
    expect(submit.code, submit.stderr).toBe(0);
    const submitted = JSON.parse(submit.stdout);
    expect(submitted.job_ids).toHaveLength(1);
    expect(submitted.submitted.map((s: { array_task: number }) => s.array_task)).toEqual([0, 1, 2]);

    // Watch the runs DB until every run is done, remembering each state seen.
    const seen = new Map<number, string[]>(runs.map((r) => [r, []]));
    const deadline = Date.now() + 150_000;
    for (;;) {
      const now = await states(config, runs);
      now.forEach((s, i) => {
        const list = seen.get(runs[i]!)!;
        if (s?.state && list.at(-1) !== s.state) list.push(s.state);
      });
      if (now.every((s) => s?.state === 'done' || s?.state === 'failed') || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const final = await states(config, runs);
    for (const [i, run] of runs.entries()) {
      expect(final[i]?.state, `run ${run}: ${final[i]?.reason ?? ''}`).toBe('done');
      expect(final[i]?.job_id).toBe(`${submitted.job_ids[0]}_${i}`);
      expect(seen.get(run)![0]).toBe('submitted');
      expect(seen.get(run)).toContain('running');
      expect(fs.readFileSync(String(final[i]?.stderr), 'utf8')).toMatch(/event_info/);
      expect(new DataDirectory(path.join(dir, 'work', 'strax_data')).find(`0${run}`, 'event_info').state).toBe('complete');
    }
    // straxer recorded its products as data entries of each run.
    const store = await openRunStore(config);
    const doc = await store.getRun(12101);
    await store.close();
    expect(doc?.data?.map((d) => d.type)).toContain('event_info');
  }, 240_000);

  it('an unreachable controller fails the submit with exit 4 and leaves no run recorded as submitted; it works once the controller answers', async () => {
    const { dir, config, logger } = setup(['true']);
    // The same cluster seen through a slurm.conf whose controller port nobody listens on.
    const badConf = path.join(dir, 'slurm.conf');
    fs.writeFileSync(badConf, fs.readFileSync('/etc/slurm/slurm.conf', 'utf8').replace(/^SlurmctldPort=.*$/m, 'SlurmctldPort=6899'));
    const unreachable = new SlurmScheduler({ commandTimeoutS: 30, env: { SLURM_CONF: badConf } });
    const error = await runSubmit({ config, configFile: null, logger, runs: [300, 301], targets: ['peaks'], schedulerImpl: unreachable }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).exitCode).toBe(4);
    expect((error as ServiceUnavailableError).shortMessage).toMatch(/slurm controller/i);
    for (const state of await states(config, [300, 301])) {
      expect(state?.state).toBe('pending');
      expect(state?.job_id ?? null).toBeNull();
      expect(state?.reason).toMatch(/submit failed/);
    }
    const summary = await runSubmit({ config, configFile: null, logger, runs: [300, 301], targets: ['peaks'], wait: true, waitTimeoutMs: 90_000 });
    expect(summary.submitted.map((s) => s.state)).toEqual(['completed', 'completed']);
    expect((await states(config, [300, 301])).map((s) => s?.state)).toEqual(['done', 'done']);
  }, 180_000);

  it('goes through qsub/qstat (Slurm’s PBS wrappers) the same way', async () => {
    const { config, logger } = setup(['sh', '-c', 'exit 3', 'sh']);
    const pbs = new PbsScheduler({ commandTimeoutS: 30, flavor: 'slurm' });
    const summary = await runSubmit({ config, configFile: null, logger, runs: [400], targets: ['peaks'], schedulerImpl: pbs, wait: true, waitTimeoutMs: 90_000 });
    expect(summary.scheduler).toBe('pbs');
    expect(summary.failed[0]!.reason).toMatch(/failed \(exit 3\)/);
    expect((await states(config, [400]))[0]?.state).toBe('failed');
  }, 120_000);
});
