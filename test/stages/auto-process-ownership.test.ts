// Job ownership: every state update of a straxer job is guarded by the claim that submitted it (straxer --claim).
import { describe, expect, it } from 'vitest';
import { createScheduler, waitForJobs, type Scheduler } from '../../src/batch/index.js';
import { memoryLogger } from '../../src/log/index.js';
import { runSubmit } from '../../src/stages/submit.js';
import { runCli } from '../cli/run-cli.js';
import { autoSetup, endedRuns } from './auto-process-helpers.js';

describe('job ownership (straxer --job-state --claim)', () => {
  it('a job of an older claim neither processes the run nor changes the state of a newer claim; the owning job does', async () => {
    const s = await autoSetup({}, []);
    try {
      await s.store.upsertRuns(endedRuns([99]));
      const old = await s.store.claimRun(99, 'process', { from: ['pending'], to: 'claimed', host: 'h' });
      const oldClaim = String((old?.daqflow as { process: { claim_id: string } }).process.claim_id);
      // A --force resubmission claims the run anew.
      const fresh = await s.store.claimRun(99, 'process', { from: ['claimed'], to: 'claimed', host: 'h' });
      const newClaim = String((fresh?.daqflow as { process: { claim_id: string } }).process.claim_id);
      await s.store.updateStage(99, 'process', { set: { state: 'submitted', job_id: 'new-job' } });
      const cfg = ['--config', `${s.dir}/config.yaml`];
      // Run 99 has no live data: straxer fails at once and records that failure if the run is its own.
      const stale = runCli(['straxer', '000099', '--target', 'peaks', '--job-state', '--claim', oldClaim, ...cfg], { cwd: s.dir });
      // It does not even start: its claim no longer owns the run (exit 75, like a busy lock).
      expect(stale.code).toBe(75);
      expect(stale.stderr).toMatch(/this job's claim no longer owns the run/);
      expect([(await s.state(99))?.state, (await s.state(99))?.job_id]).toEqual(['submitted', 'new-job']);
      const owner = runCli(['straxer', '000099', '--target', 'peaks', '--job-state', '--claim', newClaim, ...cfg], { cwd: s.dir });
      expect(owner.code).not.toBe(0);
      const st = await s.state(99);
      expect(st?.state).toBe('failed');
      expect(st?.n_failures).toBe(1);
      expect(runCli(['straxer', '000099', '--job-state', '--claim', 'x; rm -rf /', ...cfg], { cwd: s.dir }).code).toBe(3);
    } finally {
      await s.store.close();
    }
  }, 60_000);

  it('a job that settles its run before submit records `submitted` keeps its state; job id and log paths are still recorded', async () => {
    const s = await autoSetup({}, []);
    try {
      const local = await createScheduler(s.config.scheduler);
      // The worst order, forced with real processes: the job runs to its end before submit() returns.
      const slowToReturn: Scheduler = Object.assign(Object.create(local) as Scheduler, {
        submit: async (spec: Parameters<Scheduler['submit']>[0]) => {
          const ref = await local.submit(spec);
          await waitForJobs(local, [ref], { timeoutMs: 60_000, maxDelayMs: 200 });
          return ref;
        },
      });
      const summary = await runSubmit({ config: s.config, configFile: `${s.dir}/config.yaml`, logger: memoryLogger(), runs: [99], targets: ['peaks'], store: s.store, schedulerImpl: slowToReturn });
      const st = await s.state(99);
      expect(st?.state).toBe('failed');
      expect(st?.job_id).toBe(summary.job_ids[0]);
      expect(st?.stdout).toBe(summary.submitted[0]!.stdout);
      expect(st?.reason).toMatch(/000099/);
    } finally {
      await s.store.close();
    }
  }, 90_000);
});
