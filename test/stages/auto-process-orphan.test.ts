// A pass killed between submitting a job and recording it, then the job SIGKILLed after it recorded `running`: the next
// pass finds the job through what the job recorded about itself (job_self) and settles the run — never `running` forever.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler } from '../../src/batch/index.js';
import { buildSpecs } from '../../src/stages/submit.js';
import { claimIdOf } from '../../src/stages/submit/plan.js';
import { autoSetup, endedRuns, type AutoSetup } from './auto-process-helpers.js';
import { waitFor } from './import-helpers.js';

const open: AutoSetup[] = [];
const groups: number[] = [];
afterEach(async () => {
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const s of open.splice(0)) await s.store.close();
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('auto-process: a job the killed submitter never recorded', () => {
  it('SIGKILLed after it recorded running: failed with its exit code (payload killed) or "vanished" (whole job killed) by the next pass', async () => {
    // The job's payload is a real straxer --job-state whose external processor hangs, so it stays running until killed.
    const s = await autoSetup({ host: 'me', processing: { engine: 'command', command: ['sleep', '300'] }, auto_process: { running_timeout_s: 60 } }, []);
    open.push(s);
    await s.store.upsertRuns(endedRuns([95, 96]));
    const local = await createScheduler(s.config.scheduler, {});
    for (const run of [95, 96]) {
      // What a pass does before it is killed: the claim, then the submission; the job id is never recorded.
      const claimed = await s.store.claimRun(run, 'process', {
        from: ['pending'], to: 'claimed', host: 'me', set: { job_id: null, job_self: null, submitted_at: null, targets: ['event_info'], submitted_by: 'me' },
      });
      const specs = buildSpecs({ config: s.config, configFile: path.join(s.dir, 'config.yaml') }, [{ run, previous: 'pending', sets: [], claimId: claimIdOf(s.store, claimed!) }], ['event_info']);
      const ref = await local.submit(specs[0]!);
      groups.push(Number(ref.jobId));
    }
    const states = new Map<number, Record<string, unknown>>();
    for (const run of [95, 96]) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const st = await s.state(run);
        if (st?.state === 'running' && st.job_self) {
          states.set(run, st);
          break;
        }
        if (Date.now() > deadline) throw new Error(`run ${run} never recorded running: ${JSON.stringify(st)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(states.get(95)!.job_id).toBeNull();
    const self95 = states.get(95)!.job_self as { job_id: string; status_file: string };
    const self96 = states.get(96)!.job_self as { job_id: string; status_file: string };
    expect(self95).toMatchObject({ scheduler: 'local', array_task: null, status_file: expect.stringMatching(/\.status$/) });
    // 95: only the payload (straxer) is killed — the job script records its end; 96: the whole job, nothing recorded.
    process.kill(states.get(95)!.pid as number, 'SIGKILL');
    await waitFor(() => fs.existsSync(self95.status_file) && /\nend=/.test(fs.readFileSync(self95.status_file, 'utf8')), 'the job script of run 95 to record its end');
    process.kill(-Number(self96.job_id), 'SIGKILL');
    await waitFor(() => !alive(Number(self96.job_id)), 'the job of run 96 to be gone');
    expect((await s.state(95))?.state).toBe('running');
    expect((await s.state(96))?.state).toBe('running');

    const summary = await s.pass({ now: () => new Date(Date.now() + 120_000) });
    expect(summary.failed.map((f) => f.run).sort()).toEqual([95, 96]);
    const st95 = await s.state(95);
    expect(st95?.state).toBe('failed');
    expect(st95?.reason).toMatch(new RegExp(`^failed: job ${self95.job_id} \\(exit 137\\)`));
    expect(st95?.exit_code).toBe(137);
    const st96 = await s.state(96);
    expect(st96?.state).toBe('failed');
    expect(st96?.reason).toMatch(new RegExp(`^vanished: job ${self96.job_id} `));
    for (const st of [st95, st96]) expect(st?.n_failures).toBe(1);
    expect(summary.auto_process.submitted).toEqual([]);
  }, 120_000);

  it('running with no job recorded by anyone: failed "vanished" once its process on this host is gone; another host\'s is reported, not guessed', async () => {
    const s = await autoSetup({ host: 'me' });
    open.push(s);
    await s.store.upsertRuns(endedRuns([97, 98]));
    // A real process that has ended: its pid is free.
    const child = spawn('true');
    const pid = child.pid!;
    await new Promise((r) => child.once('exit', r));
    await waitFor(() => !alive(pid), 'the ended process to be reaped');
    for (const [run, host] of [[97, 'me'], [98, 'elsewhere']] as const) {
      await s.store.claimRun(run, 'process', { from: ['pending'], to: 'claimed', host: 'me', set: { submitted_by: 'me' } });
      await s.store.updateStage(run, 'process', { set: { state: 'running', host, pid, started_at: new Date() } });
    }
    const summary = await s.pass();
    expect(summary.failed.map((f) => f.run)).toEqual([97]);
    expect((await s.state(97))?.reason).toBe(`vanished: no job was recorded for it and its process (pid ${pid} on me) is gone`);
    expect(summary.skipped.find((k) => k.run === 98)?.reason).toBe(`running with no job recorded (pid ${pid} on elsewhere); if that process is dead: daqflow runs fail 000098 --reason …`);
    expect((await s.state(98))?.state).toBe('running');
  });
});
