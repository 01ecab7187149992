// auto-process through the real local scheduler and the embedded runs DB: selection, limits, recovery, failures.
// The job payload is set with scheduler.daqflow_command, so these tests do not run the engine
// (test/stages/auto-process-local.test.ts processes fake-daq runs for real).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler } from '../../src/batch/index.js';
import { Ledger } from '../../src/pass/index.js';
import { makeTmpDir } from '../support/tmp.js';
import { waitFor } from './import-helpers.js';
import { autoSetup, endedRuns, FAST_RETRY, passUntil, type AutoSetup } from './auto-process-helpers.js';

const open: AutoSetup[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.store.close();
});
async function setup(...args: Parameters<typeof autoSetup>): Promise<AutoSetup> {
  const s = await autoSetup(...args);
  open.push(s);
  return s;
}
const later = (s: number) => () => new Date(Date.now() + s * 1000);

describe('auto-process', () => {
  it('submits eligible runs newest first up to the free slots as one array job; never held, abandoned, unended or not-yet-due runs', async () => {
    const s = await setup({ auto_process: { max_jobs_in_flight: 3 } });
    await s.store.upsertRuns([
      ...endedRuns([1, 2, 3, 4, 5]),
      ...endedRuns([6], { tags: [{ name: 'hold', by: 'x' }] }),
      { number: 7, name: '000007', start: new Date() },
    ]);
    await s.store.upsertRuns(endedRuns([8, 9]));
    await s.store.updateStage(8, 'process', { set: { state: 'abandoned', reason: 'bad run' } });
    await s.store.updateStage(9, 'process', { set: { state: 'failed', n_failures: 1, next_retry: new Date(Date.now() + 3_600_000) } });
    const summary = await s.pass();
    const a = summary.auto_process;
    expect(a.submitted.map((x) => x.run)).toEqual([5, 4, 3]);
    expect(a.job_ids).toHaveLength(1);
    expect(a.free_slots).toBe(3);
    expect(summary.pending.map((p) => p.run)).toEqual([3, 4, 5]);
    for (const run of [3, 4, 5]) {
      const st = await s.state(run);
      expect(st?.state).toBe('submitted');
      expect(st?.job_id).toBe(`${a.job_ids[0]}_${a.submitted.findIndex((x) => x.run === run)}`);
      expect(st?.targets).toEqual(['event_info']);
    }
    for (const run of [1, 2, 6, 7]) expect((await s.state(run))?.state ?? 'pending').toBe('pending');
    expect((await s.state(8))?.state).toBe('abandoned');
    expect((await s.state(9))?.state).toBe('failed');
    // Later passes fill only the slots that jobs ended in the meantime free: never more than 3 in flight.
    for (let i = 0; i < 3; i++) {
      const next = await s.pass();
      expect(next.auto_process.in_flight + next.auto_process.submitted.length).toBeLessThanOrEqual(3);
      expect(await s.store.countRuns({ stage: 'process', states: ['claimed', 'submitted', 'running'] })).toBeLessThanOrEqual(3);
    }
  });

  it('oldest-first order and max_submit_per_pass', async () => {
    const s = await setup({ auto_process: { order: 'oldest', max_submit_per_pass: 2 } });
    await s.store.upsertRuns(endedRuns([10, 11, 12]));
    const summary = await s.pass();
    expect(summary.auto_process.submitted.map((x) => x.run)).toEqual([10, 11]);
  });

  it('the pause file, the pause document and a full disk each stop submission; removing them lets the next pass submit', async () => {
    const s = await setup();
    await s.store.upsertRuns(endedRuns([20]));
    const pauseFile = path.join(s.dir, 'work', 'PAUSE');
    fs.mkdirSync(path.dirname(pauseFile), { recursive: true });
    fs.writeFileSync(pauseFile, '');
    let summary = await s.pass();
    expect(summary.auto_process.blocked).toMatch(/paused: .*PAUSE exists/);
    expect(summary.auto_process.submitted).toEqual([]);
    fs.rmSync(pauseFile);
    await s.store.setConfigDoc('auto_process', { paused: true, reason: 'detector work' });
    summary = await s.pass();
    expect(summary.auto_process.blocked).toMatch(/config document auto_process says paused \(detector work\)/);
    await s.store.setConfigDoc('auto_process', { paused: false });
    const full = await autoSetup({ auto_process: { min_free_disk_fraction: 1 } }, ['true'], s.dir);
    open.push(full);
    summary = await full.pass();
    expect(summary.auto_process.blocked).toMatch(/% full \(limit 0\.0 %\)/);
    expect((await s.state(20))?.state ?? 'pending').toBe('pending');
    expect((await s.store.listMonitorSamples()).at(-1)?.disk_used_fraction).toBeTypeOf('number');
    summary = await s.pass();
    expect(summary.auto_process.blocked).toBeNull();
    expect(summary.auto_process.submitted.map((x) => x.run)).toEqual([20]);
  });

  it('a job that ends without its output is failed with the reason, retried after its delay with targets reduced per the degrade table, and given up at max_failures', async () => {
    const s = await setup({ auto_process: { max_failures: 3, degrade: [{ after_failures: 2, drop_targets: ['event*'] }] } });
    await s.store.upsertRuns(endedRuns([30]));
    const failures = async (n: number) => ((await s.state(30))?.n_failures ?? 0) >= n && (await s.state(30))?.state === 'failed';
    const first = await passUntil(s, () => failures(1));
    expect(first[0]!.auto_process.submitted.map((x) => x.targets)).toEqual([['event_info']]);
    let st = await s.state(30);
    expect(st?.reason).toMatch(/completed but its output is incomplete: event_info: not stored complete/);
    expect(st?.next_retry).toBeInstanceOf(Date);
    const failedSummary = first.at(-1)!;
    expect(failedSummary.failed.map((f) => f.run)).toEqual([30]);
    // Not due yet: a pass right now does not resubmit it.
    expect((await s.pass({ now: () => new Date((st!.next_retry as Date).getTime() - 50) })).auto_process.submitted).toEqual([]);
    await passUntil(s, () => failures(2), { now: later(60) });
    const third = await passUntil(s, () => failures(3), { now: later(60) });
    expect(third.flatMap((p) => p.auto_process.submitted.map((x) => x.targets))).toEqual([['peak_basics']]);
    expect(third.at(-1)!.auto_process.gave_up).toEqual([30]);
    st = await s.state(30);
    expect(st?.next_retry).toBeNull();
    // Given up: later passes leave it alone.
    expect((await s.pass({ now: later(3600) })).auto_process.submitted).toEqual([]);
  }, 120_000);

  it('a degrade step with a compressor makes the resubmitted job write with it (processing.compressor); earlier steps keep the configured one', async () => {
    const argsLog = path.join(makeTmpDir(), 'args.log');
    // The job payload appends its straxer arguments, one job per line.
    const s = await setup(
      { auto_process: { degrade: [{ after_failures: 1, drop_targets: ['event*'] }, { after_failures: 3, drop_targets: [], compressor: 'lz4' }] } },
      ['sh', '-c', 'echo "$*" >> "$0"', argsLog],
    );
    await s.store.upsertRuns(endedRuns([35, 36, 37]));
    await s.store.updateStage(36, 'process', { set: { state: 'failed', n_failures: 1, next_retry: new Date(0) } });
    await s.store.updateStage(37, 'process', { set: { state: 'failed', n_failures: 3, next_retry: new Date(0) } });
    const summary = await s.pass();
    expect(summary.auto_process.submitted.map((x) => [x.run, x.targets])).toEqual([[37, ['peak_basics']], [36, ['peak_basics']], [35, ['event_info']]]);
    const lines = () => (fs.existsSync(argsLog) ? fs.readFileSync(argsLog, 'utf8').trim().split('\n') : []);
    await waitFor(() => lines().length === 3, 'the three jobs to log their arguments');
    const byRun = new Map(lines().map((l) => [l.split(' ')[1], l]));
    expect(byRun.get('000037')).toMatch(/--set processing\.compressor=lz4( |$)/);
    expect(byRun.get('000036')).not.toMatch(/processing\.compressor/);
    expect(byRun.get('000035')).not.toMatch(/processing\.compressor/);
  }, 60_000);

  it('a failing job is failed with its exit code and log tail, and n_failures counts', async () => {
    const s = await setup({}, ['sh', '-c', 'echo "processing blew up" >&2; exit 3', 'sh']);
    await s.store.upsertRuns(endedRuns([40]));
    await passUntil(s, async () => (await s.state(40))?.state === 'failed');
    const st = await s.state(40);
    expect(st?.reason).toMatch(/^failed: job \S+ \(exit 3\).*processing blew up/);
    expect(st?.exit_code).toBe(3);
    expect(String(st?.log_tail)).toMatch(/processing blew up/);
    expect(st?.n_failures).toBe(1);
  }, 60_000);

  it('a job submitted before scheduler.kind changed is still followed through a scheduler of its own kind', async () => {
    // The retry delay keeps the failed run from being resubmitted under the new kind (which this test does not run).
    const s = await setup({ retry: { ...FAST_RETRY, base_delay_s: 3600 } }, ['sh', '-c', 'echo "old kind" >&2; exit 3', 'sh']);
    await s.store.upsertRuns(endedRuns([45]));
    expect((await s.pass()).auto_process.submitted.map((x) => x.run)).toEqual([45]);
    expect((await s.state(45))?.scheduler).toBe('local');
    const pbs = { ...s.config, scheduler: { ...s.config.scheduler, kind: 'pbs' as const } };
    const passes = await passUntil(s, async () => (await s.state(45))?.state === 'failed', { config: pbs }, 200);
    expect(passes.every((p) => p.auto_process.scheduler === 'pbs')).toBe(true);
    expect(passes.at(-1)!.failed.map((f) => f.run)).toEqual([45]);
    const st = await s.state(45);
    expect(st?.reason).toMatch(/^failed: job \S+ \(exit 3\).*old kind/);
    expect(st?.exit_code).toBe(3);
  }, 60_000);

  it("the ledger's mark follows the runs DB: runs processed elsewhere count, and it never passes a failed run waiting for its retry", async () => {
    const s = await setup({ retry: { ...FAST_RETRY, base_delay_s: 3600 } }, ['sh', '-c', 'exit 3', 'sh']);
    await s.store.upsertRuns(endedRuns([4, 5, 6, 7, 8]));
    // Processed outside auto-process (straxer or submit by hand); 8 abandoned by a person: not auto-process's work.
    for (const run of [4, 6]) await s.store.updateStage(run, 'process', { set: { state: 'done' } });
    await s.store.updateStage(8, 'process', { set: { state: 'abandoned' } });
    await passUntil(s, async () => (await s.state(5))?.state === 'failed' && (await s.state(7))?.state === 'failed', {}, 200);
    const stateDir = path.join(s.dir, 'work', 'state');
    let ledger = Ledger.load(stateDir, 'auto_process');
    expect([ledger.lastContiguousRun, ledger.doneAbove, Object.keys(ledger.failed)]).toEqual([4, [6], ['5', '7']]);
    // An operator processes 5 by hand: the next pass takes it as done and drops its failure; 7 still holds the mark.
    await s.store.updateStage(5, 'process', { set: { state: 'done' }, unset: ['next_retry'] });
    await s.pass();
    ledger = Ledger.load(stateDir, 'auto_process');
    expect([ledger.lastContiguousRun, ledger.doneAbove, Object.keys(ledger.failed)]).toEqual([6, [], ['7']]);
  }, 60_000);

  it('a claim left by a killed pass is released after claim_timeout_s and submitted again; a fresh claim is left alone', async () => {
    const s = await setup({ auto_process: { claim_timeout_s: 60 } });
    await s.store.upsertRuns(endedRuns([50, 51, 52]));
    await s.store.claimRun(50, 'process', { from: ['pending'], to: 'claimed', host: 'killed-host' });
    await s.store.claimRun(51, 'process', { from: ['pending'], to: 'claimed', host: 'killed-host' });
    // A `submit --force` claim keeps the previous job's id: it must not make the claim look submitted forever.
    await s.store.updateStage(52, 'process', { set: { state: 'done', scheduler: 'local', job_id: '2147480001' } });
    await s.store.claimRun(52, 'process', { from: ['done'], to: 'claimed', host: 'killed-host' });
    const now = await s.pass();
    expect(now.auto_process.released).toEqual([]);
    expect((await s.state(50))?.state).toBe('claimed');
    const after = await s.pass({ now: later(120) });
    expect(after.auto_process.released).toEqual([50, 51, 52]);
    expect(after.auto_process.submitted.map((x) => x.run).sort()).toEqual([50, 51, 52]);
    expect((await s.state(50))?.state).toBe('submitted');
  });

  it('a job the scheduler does not know and that left no status file counts as failed ("vanished"), never as done', async () => {
    const s = await setup({ host: 'me', auto_process: { running_timeout_s: 60 } });
    await s.store.upsertRuns(endedRuns([60]));
    const claimed = await s.store.claimRun(60, 'process', { from: ['pending'], to: 'claimed', host: 'me' });
    expect(claimed).not.toBeNull();
    await s.store.updateStage(60, 'process', {
      set: { state: 'submitted', scheduler: 'local', job_id: '2147480000', targets: ['event_info'], status_file: path.join(s.dir, 'nope.status'), submitted_at: new Date() },
    });
    const soon = await s.pass();
    expect(soon.skipped.find((k) => k.run === 60)?.reason).toMatch(/job 2147480000 is unknown/);
    const late = await s.pass({ now: later(120) });
    expect(late.failed.map((f) => f.run)).toEqual([60]);
    const st = await s.state(60);
    expect(st?.state).toBe('failed');
    expect(st?.reason).toMatch(/^vanished/);
  });

  it('--dry-run reports what it would submit and changes nothing', async () => {
    const s = await setup();
    await s.store.upsertRuns(endedRuns([70, 71]));
    const summary = await s.pass({ dryRun: true });
    expect(summary.planned).toEqual([70, 71]);
    expect(summary.auto_process.submitted).toEqual([]);
    expect(await s.state(70)).toBeUndefined();
    expect(await s.store.listHosts()).toEqual([]);
  });

  it('--retry-failed takes only failed runs, whatever their retry time', async () => {
    const s = await setup();
    await s.store.upsertRuns(endedRuns([80, 81]));
    await s.store.updateStage(81, 'process', { set: { state: 'failed', n_failures: 1, next_retry: new Date(Date.now() + 3_600_000) } });
    const summary = await s.pass({ retryFailed: true });
    expect(summary.auto_process.submitted.map((x) => x.run)).toEqual([81]);
  });

  it('writes this host heartbeat and marks hosts silent longer than dead_host_s as dead', async () => {
    const s = await setup({ host: 'alive', auto_process: { dead_host_s: 60 } });
    await s.store.heartbeat({ host: 'gone', command: 'auto-process', pid: 1, state: 'pass', version: 'x', time: new Date(Date.now() - 3_600_000) });
    const summary = await s.pass();
    expect(summary.auto_process.dead_hosts).toEqual(['gone']);
    const hosts = await s.store.listHosts();
    expect(hosts.map((h) => [h.host, h.state])).toEqual([['alive', 'pass'], ['gone', 'dead']]);
  });

  it('refreshes the heartbeat every heartbeat_s while a pass runs, so a slow pass never looks like a dead host', async () => {
    const s = await setup({ host: 'slow', auto_process: { heartbeat_s: 1 } });
    await s.store.upsertRuns(endedRuns([90]));
    const local = await createScheduler(s.config.scheduler, {});
    const beat = async () => (await s.store.listHosts()).find((h) => h.host === 'slow')?.time.getTime();
    // A scheduler that answers only once the pass's heartbeat has been refreshed after the first one.
    const slow = Object.create(local) as typeof local;
    slow.submit = async (spec) => {
      const first = await beat();
      expect(first).toBeTypeOf('number');
      const deadline = Date.now() + 30_000;
      while ((await beat()) === first) {
        if (Date.now() > deadline) throw new Error('the heartbeat was not refreshed within 30 s of a 1 s heartbeat_s');
        await new Promise((r) => setTimeout(r, 50));
      }
      return local.submit(spec);
    };
    const summary = await s.pass({ schedulerImpl: slow });
    expect(summary.auto_process.submitted.map((x) => x.run)).toEqual([90]);
  }, 60_000);
});
