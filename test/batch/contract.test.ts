// The Scheduler contract, run against slurm, pbs (Slurm's Torque wrappers) and local on a real single-node Slurm.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LocalScheduler, PbsScheduler, SlurmScheduler, isSuccess, refKey, waitForJobs, type BaseScheduler, type JobRef, type JobState,
} from '../../src/batch/index.js';
import { ServiceUnavailableError } from '../../src/errors.js';
import { runCommand } from '../../src/util/run.js';
import { NO_SLURM, SLURM_DIR, ensureSlurm, lockCluster, recordArgv, sh, slurmUp, spec, until } from './helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-contract-'));
const jobDir = path.join(tmp, 'jobs');
const impls: Array<{ name: 'slurm' | 'pbs' | 'local'; make: () => BaseScheduler; needsSlurm: boolean }> = [
  { name: 'local', make: () => new LocalScheduler({ commandTimeoutS: 20 }), needsSlurm: false },
  { name: 'slurm', make: () => new SlurmScheduler({ commandTimeoutS: 20 }), needsSlurm: true },
  { name: 'pbs', make: () => new PbsScheduler({ commandTimeoutS: 20, flavor: 'auto' }), needsSlurm: true },
];
const active = impls.filter((i) => !(NO_SLURM && i.needsSlurm));
if (NO_SLURM) console.warn('NOTICE: DAQFLOW_NO_SLURM=1: the slurm and pbs parts of the scheduler contract are skipped');
const poll = { initialDelayMs: 200, maxDelayMs: 1000 };
/** Jobs with a 1-minute limit, submitted first so the slow time-limit checks overlap the other tests. */
const timeoutJobs = new Map<string, { scheduler: BaseScheduler; ref: JobRef }>();

let releaseCluster: (() => Promise<void>) | undefined;

beforeAll(async () => {
  if (!NO_SLURM) releaseCluster = await lockCluster();
  if (!NO_SLURM) await ensureSlurm();
  for (const impl of active) {
    const scheduler = impl.make();
    timeoutJobs.set(impl.name, { scheduler, ref: await scheduler.submit(spec(jobDir, `timeout-${impl.name}`, ['sleep', '600'], { walltimeMin: 1 })) });
  }
}, 900_000);

afterAll(async () => {
  for (const { scheduler, ref } of timeoutJobs.values()) await scheduler.cancel([ref]).catch(() => undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
  await releaseCluster?.();
});

describe.each(active)('the $name scheduler', ({ name, make }) => {
  const scheduler = make();

  it('runs a trivial job through pending/running to completed and keeps its logs', async () => {
    const ref = await scheduler.submit(spec(jobDir, `ok-${name}`, sh('sleep 1; echo hello from the job')));
    expect(ref.scheduler).toBe(name);
    const seen = new Set<JobState>();
    const final = (await waitForJobs(scheduler, [ref], { ...poll, timeoutMs: 60_000, onPoll: (m) => seen.add(m.get(refKey(ref))!.state) })).get(refKey(ref))!;
    expect(final).toMatchObject({ state: 'completed', exitCode: 0 });
    expect(isSuccess(final.state)).toBe(true);
    expect([...seen].some((s) => s === 'pending' || s === 'running')).toBe(true);
    expect(fs.readFileSync(final.stdoutPath!, 'utf8')).toContain('hello from the job');
    expect(fs.existsSync(final.stderrPath!)).toBe(true);
    expect(fs.readFileSync(ref.statusFile!, 'utf8')).toMatch(/^exit=0$/m);
  });

  it('reports a job that exits 3 as failed with exit code 3 and its log tail', async () => {
    const ref = await scheduler.submit(spec(jobDir, `fail-${name}`, sh('echo progress; echo "boom: bad chunk" >&2; exit 3')));
    const final = (await waitForJobs(scheduler, [ref], { ...poll, timeoutMs: 60_000 })).get(refKey(ref))!;
    expect(final).toMatchObject({ state: 'failed', exitCode: 3 });
    expect(final.logTail).toContain('boom: bad chunk');
  });

  it('cancels a running job', async () => {
    const ref = await scheduler.submit(spec(jobDir, `cancel-${name}`, ['sleep', '300']));
    await waitForJobs(scheduler, [ref], { ...poll, timeoutMs: 60_000, until: (s) => s.state === 'running' });
    await new Promise((r) => setTimeout(r, 300)); // let the script start its payload and set its trap
    await scheduler.cancel([ref]);
    const final = (await waitForJobs(scheduler, [ref], { ...poll, timeoutMs: 60_000 })).get(refKey(ref))!;
    expect(final.state).toBe('cancelled');
  });

  it('resolves each task of an array job on its own', async () => {
    const ref = await scheduler.submit({
      ...spec(jobDir, `array-${name}`, []),
      arrayCommands: [sh('echo task zero'), sh('echo task one failed >&2; exit 5'), sh('echo task two')],
    });
    expect(ref.tasks?.map(refKey)).toEqual([`${ref.jobId}_0`, `${ref.jobId}_1`, `${ref.jobId}_2`]);
    const statuses = await waitForJobs(scheduler, [ref], { ...poll, timeoutMs: 60_000 });
    expect([...statuses.keys()].sort()).toEqual([`${ref.jobId}_0`, `${ref.jobId}_1`, `${ref.jobId}_2`]);
    expect(statuses.get(`${ref.jobId}_0`)).toMatchObject({ state: 'completed', exitCode: 0 });
    expect(statuses.get(`${ref.jobId}_1`)).toMatchObject({ state: 'failed', exitCode: 5 });
    expect(statuses.get(`${ref.jobId}_1`)!.logTail).toContain('task one failed');
    expect(statuses.get(`${ref.jobId}_2`)).toMatchObject({ state: 'completed', exitCode: 0 });
    expect(fs.readFileSync(ref.tasks![2]!.logPaths.stdout, 'utf8')).toContain('task two');
  });

  it('delivers argv with spaces, quotes and $(...) verbatim', async () => {
    const args = ['a b', `it's "quoted"`, '$(touch /tmp/daqflow-pwned)', '`id`', '', 'tab\there', '*', '~', ';', '--target=event_info'];
    const out = path.join(tmp, `argv-${name}.json`);
    const ref = await scheduler.submit(spec(jobDir, `argv-${name}`, recordArgv(out, args)));
    const final = (await waitForJobs(scheduler, [ref], { ...poll, timeoutMs: 60_000 })).get(refKey(ref))!;
    expect(final.state).toBe('completed');
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(args);
    expect(fs.existsSync('/tmp/daqflow-pwned')).toBe(false);
  });

  it('reports a job that left no trace as unknown, never done', async () => {
    const fake: JobRef = { scheduler: name, jobId: name === 'pbs' ? '999999' : '999999', statusFile: path.join(tmp, 'nope.status'), logPaths: { stdout: path.join(tmp, 'nope.out'), stderr: path.join(tmp, 'nope.err') } };
    const status = (await scheduler.status([fake])).get('999999')!;
    expect(status.state).toBe('unknown');
    expect(isSuccess(status.state)).toBe(false);
  });
});

describe.skipIf(NO_SLURM)('slurm jobs gone from squeue and scontrol', () => {
  const scheduler = new SlurmScheduler({ commandTimeoutS: 20 });
  afterAll(async () => {
    await slurmUp({ SLURM_MIN_JOB_AGE: '300' });
  }, 120_000);

  it('are resolved from the status file, or from sacct -c when the status file cannot tell', async () => {
    await slurmUp({ SLURM_MIN_JOB_AGE: '2' });
    const ok = await scheduler.submit(spec(jobDir, 'gone-ok', ['true']));
    const fail = await scheduler.submit(spec(jobDir, 'gone-fail', sh('exit 3')));
    const noStatus = await scheduler.submit(spec(jobDir, 'gone-nostatus', ['true']));
    const cancelled = await scheduler.submit(spec(jobDir, 'gone-cancel', ['sleep', '300']));
    const refs = [ok, fail, noStatus, cancelled];
    await waitForJobs(scheduler, [cancelled], { ...poll, timeoutMs: 60_000, until: (s) => s.state === 'running' });
    await new Promise((r) => setTimeout(r, 300));
    await scheduler.cancel([cancelled]);
    await waitForJobs(scheduler, refs, { ...poll, timeoutMs: 60_000 });
    fs.rmSync(noStatus.statusFile!);
    const ids = refs.map((r) => r.jobId).join(',');
    await until('squeue to forget the jobs', async () => {
      const r = await runCommand('squeue', ['-h', '-t', 'all', '-j', ids, '-o', '%i'], { reject: false });
      return r.stdout.trim() === '' ? true : undefined;
    }, 120_000, 1000);
    const scontrol = await runCommand('scontrol', ['show', 'job', ok.jobId], { reject: false });
    expect(scontrol.exitCode).not.toBe(0);
    const statuses = await scheduler.status(refs);
    expect(statuses.get(ok.jobId)).toMatchObject({ state: 'completed', exitCode: 0, source: 'artifact' });
    expect(statuses.get(fail.jobId)).toMatchObject({ state: 'failed', exitCode: 3, source: 'artifact' });
    expect(statuses.get(noStatus.jobId)).toMatchObject({ state: 'completed', source: 'sacct -c' });
    expect(statuses.get(cancelled.jobId)).toMatchObject({ state: 'cancelled', source: 'sacct -c' });
  }, 240_000);
});

describe.skipIf(NO_SLURM)('a stopped slurm controller', () => {
  afterAll(async () => {
    await slurmUp({ SLURM_MIN_JOB_AGE: '300' });
  }, 120_000);

  it('makes submit fail with ServiceUnavailableError (exit 4) within the command timeout, and works again after a restart', async () => {
    const pid = Number(fs.readFileSync(path.join(SLURM_DIR, 'run/slurmctld.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    await until('slurmctld to die', async () => (fs.existsSync(`/proc/${pid}`) ? undefined : true), 10_000, 100);
    const slurm = new SlurmScheduler({ commandTimeoutS: 15 });
    const pbs = new PbsScheduler({ commandTimeoutS: 15, flavor: 'slurm' });
    const started = Date.now();
    const [a, b] = await Promise.all([
      slurm.submit(spec(jobDir, 'down-slurm', ['true'])).catch((e: unknown) => e),
      pbs.submit(spec(jobDir, 'down-pbs', ['true'])).catch((e: unknown) => e),
    ]);
    const elapsed = Date.now() - started;
    for (const error of [a, b]) {
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect((error as ServiceUnavailableError).exitCode).toBe(4);
      expect((error as ServiceUnavailableError).shortMessage).toMatch(/slurm controller|did not answer/);
    }
    expect(elapsed).toBeLessThan(17_000);
    // status() does not throw while the controller is down: it warns once and falls back.
    const fake: JobRef = { scheduler: 'slurm', jobId: '424242', logPaths: { stdout: '/nonexistent', stderr: '/nonexistent' } };
    const status = (await slurm.status([fake])).get('424242')!;
    expect(status.state).toBe('unknown');
    expect(slurm.warnings.some((w) => w.includes('status may be inaccurate'))).toBe(true);

    await slurmUp({ SLURM_MIN_JOB_AGE: '300' });
    const ref = await slurm.submit(spec(jobDir, 'after-restart', ['true']));
    const final = (await waitForJobs(slurm, [ref], { ...poll, timeoutMs: 60_000 })).get(refKey(ref))!;
    expect(final.state).toBe('completed');
  }, 120_000);
});

describe('time limits', () => {
  it.each(active.map((i) => i.name))('a sleeping job with a 1-minute limit ends as timeout on %s', async (name) => {
    const { scheduler, ref } = timeoutJobs.get(name)!;
    const final = (await waitForJobs(scheduler, [ref], { initialDelayMs: 1000, maxDelayMs: 3000, timeoutMs: 170_000 })).get(refKey(ref))!;
    expect(final.state).toBe('timeout');
    expect(final.state === 'timeout' && isSuccess(final.state)).toBe(false);
  }, 180_000);
});
