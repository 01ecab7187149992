// auto-process on the real single-node Slurm (scripts/slurm-up.sh): a job cancelled with scancel and a job that hits
// its time limit leave their runs failed with reason cancelled / timeout after the next pass, and both are retried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/util/run.js';
import { NO_SLURM, ensureSlurm, lockCluster, until } from '../batch/helpers.js';
import { FAST_RETRY, autoSetup, endedRuns, type AutoSetup } from './auto-process-helpers.js';

describe.skipIf(NO_SLURM)('auto-process on a real Slurm', () => {
  let releaseCluster: (() => Promise<void>) | undefined;
  let s: AutoSetup | undefined;
  beforeAll(async () => {
    releaseCluster = await lockCluster();
    await ensureSlurm();
  }, 900_000);
  afterAll(async () => {
    const jobs = (await s?.store.listRuns({ stage: 'process' }))?.map((d) => String((d.daqflow as { process?: { job_id?: string } }).process?.job_id ?? '')).filter(Boolean) ?? [];
    if (jobs.length) await runCommand('scancel', jobs, { reject: false });
    await s?.store.close();
    await releaseCluster?.();
  });

  it('scancel → failed "cancelled", time limit → failed "timeout", each retried by a later pass', async () => {
    // The payload sleeps far beyond the 1-minute limit: only scancel or the limit ends it.
    // Retries an hour or two after a failure: the passes that wait for the timeout must not resubmit the cancelled run
    // (with sub-second delays they did, and the final pass then found it in flight); the last pass looks 3 h ahead.
    const retry = { ...FAST_RETRY, base_delay_s: 3600 };
    s = await autoSetup({ scheduler: { kind: 'slurm', mem_gb: 0.1, walltime_min: 1 }, auto_process: { max_submit_per_pass: 2 }, retry }, ['sh', '-c', 'sleep 900', 'sh']);
    const setup = s;
    await setup.store.upsertRuns(endedRuns([101, 102]));
    const first = await setup.pass();
    expect(first.auto_process.scheduler).toBe('slurm');
    const job = (run: number) => first.auto_process.submitted.find((x) => x.run === run)!.job_id;
    expect(first.auto_process.submitted.map((x) => x.run).sort()).toEqual([101, 102]);
    // Cancel run 101's task once Slurm runs it.
    await until('run 101 running', async () => ((await runCommand('squeue', ['-h', '-j', job(101), '-o', '%T'], { reject: false })).stdout.includes('RUNNING') ? true : undefined), 120_000);
    await runCommand('scancel', [job(101)]);
    const settled = async (run: number) => ((await setup.state(run))?.state === 'failed' ? true : undefined);
    await until('run 101 failed', async () => (await setup.pass(), settled(101)), 120_000, 500);
    expect((await setup.state(101))?.reason).toMatch(/^cancelled: job /);
    // Run 102 runs into its 1-minute limit.
    await until('run 102 failed', async () => (await setup.pass(), settled(102)), 300_000, 2000);
    const st = await setup.state(102);
    expect(st?.reason).toMatch(/^timeout: job /);
    expect(st?.n_failures).toBe(1);
    expect((await setup.state(101))?.state).toBe('failed');
    // Both are due again once their delay (1–2 h) has passed: a later pass resubmits them.
    const later = await setup.pass({ now: () => new Date(Date.now() + 3 * 3_600_000) });
    expect(later.auto_process.submitted.map((x) => x.run).sort()).toEqual([101, 102]);
    expect(later.auto_process.submitted.every((x) => x.job_id !== job(x.run))).toBe(true);
  }, 600_000);
});
