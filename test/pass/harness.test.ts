import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/index.js';
import { memoryLogger } from '../../src/log/index.js';
import { exitCodeForSummary, Ledger, runPass, type StageWork } from '../../src/pass/index.js';
import { openRunStore, stageOf } from '../../src/rundb/index.js';
import { makeTmpDir } from '../support/tmp.js';

function setup() {
  const dir = makeTmpDir();
  const { config } = configFromObject({ work_dir: 'work', host: 'test-host', pass: { concurrency: 2 } }, { baseDir: dir, cwd: dir });
  return { config, logger: memoryLogger() };
}

const work = (runs: number[], processRun: StageWork['processRun'], extra: Partial<StageWork> = {}): StageWork => ({
  stage: 'unit', listSourceRuns: async () => runs, processRun, ...extra,
});

describe('the pass harness', () => {
  it('a pending run is neither done nor failed, and the contiguous mark stops below it', async () => {
    const { config, logger } = setup();
    const summary = await runPass(
      work([1, 2, 3], async (run) => (run === 2 ? { status: 'pending', reason: 'job 77 submitted' } : { status: 'done' })),
      { config, logger, mode: 'incremental', handleSignals: false },
    );
    expect(summary.pending.map((p) => [p.run, p.reason])).toEqual([[2, 'job 77 submitted']]);
    expect(summary.done.map((d) => d.run)).toEqual([1, 3]);
    expect(summary.last_contiguous_run).toBe(1);
    expect(exitCodeForSummary(summary)).toBe(0);
    const ledger = Ledger.load(`${config.work_dir}/state`, 'unit');
    expect(ledger.isDone(2)).toBe(false);
    expect(ledger.failed).toEqual({});
    expect(ledger.doneAbove).toEqual([3]);
  });

  it('records each outcome in the runs DB (state, n_failures, reason, next_retry, host, updated_at) as in the ledger', async () => {
    const { config, logger } = setup();
    const store = await openRunStore(config);
    try {
      for (const number of [1, 2, 3]) await store.upsertRun({ number, name: String(number).padStart(6, '0'), mode: 'physics' });
      await runPass(
        work([1, 2, 3], async (run, ctx) => {
          expect(ctx.store).toBe(store);
          expect(ctx.dryRun).toBe(false);
          if (run === 2) throw new Error('bad record');
          return run === 3 ? { status: 'pending', reason: 'handed off', state: 'running' } : { status: 'done' };
        }),
        { config, logger, mode: 'incremental', handleSignals: false, store, now: () => new Date('2026-11-21T06:00:00Z'), random: () => 0.5 },
      );
      const state = async (run: number) => stageOf((await store.getRun(run))!, store.stateField, 'unit');
      expect(await state(1)).toMatchObject({ state: 'done', host: 'test-host', reason: null, next_retry: null });
      const failed = await state(2);
      const ledgerFailure = Ledger.load(`${config.work_dir}/state`, 'unit').failure(2)!;
      expect(failed).toMatchObject({ state: 'failed', host: 'test-host', reason: 'bad record', n_failures: 1 });
      expect((failed!.next_retry as Date).toISOString()).toBe(ledgerFailure.next_retry);
      expect(failed!.updated_at).toBeInstanceOf(Date);
      expect(await state(3)).toMatchObject({ state: 'running', reason: 'handed off' });
      // Fields other software owns are untouched.
      expect((await store.getRun(1))!.mode).toBe('physics');
    } finally {
      await store.close();
    }
  });

  it('runs named on the command line that the pass will not process are reported skipped with the reason', async () => {
    const { config, logger } = setup();
    await runPass(work([1, 2], async () => undefined), { config, logger, mode: 'incremental', handleSignals: false, only: [1] });
    const summary = await runPass(work([1, 2, 4], async () => undefined), { config, logger, mode: 'incremental', handleSignals: false, only: [1, 3, 4] });
    expect(summary.done.map((d) => d.run)).toEqual([4]);
    expect(summary.skipped).toEqual([
      { run: 1, reason: 'already done (the ledger or the destination has it)' },
      { run: 3, reason: 'not in the unit source' },
    ]);
    const retry = await runPass(work([1, 2, 4], async () => undefined), { config, logger, mode: 'retry-failed', handleSignals: false, only: [2] });
    expect(retry.skipped).toEqual([{ run: 2, reason: 'has not failed (a retry pass only takes failed runs)' }]);
    // A failed run named on the command line is tried now, before its retry time.
    const failing = work([1, 2, 4, 5], async (run) => {
      if (run === 5) throw new Error('broken');
    });
    await runPass(failing, { config, logger, mode: 'incremental', handleSignals: false });
    const waiting = await runPass(failing, { config, logger, mode: 'incremental', handleSignals: false });
    expect(waiting.skipped).toEqual([{ run: 5, reason: expect.stringMatching(/^next retry at /) }]);
    const named = await runPass(failing, { config, logger, mode: 'incremental', handleSignals: false, only: [5] });
    expect(named.failed.map((f) => [f.run, f.n_failures])).toEqual([[5, 2]]);
  });

  it('a stage that selects its runs itself gets exactly them: ledger done marks and retry times do not filter, batch_size does not cut', async () => {
    const dir = makeTmpDir();
    const { config } = configFromObject({ work_dir: 'work', host: 'test-host', pass: { batch_size: 1 } }, { baseDir: dir, cwd: dir });
    const logger = memoryLogger();
    // The ledger: 1 done, 5 and 6 failed with their retries far ahead.
    await runPass(work([1, 5, 6], async (run) => (run === 1 ? { status: 'done' } : Promise.reject(new Error('broken')))), { config: { ...config, pass: { ...config.pass, batch_size: 0 } }, logger, mode: 'full', handleSignals: false, now: () => new Date('2026-11-21T06:00:00Z') });
    const seen: [number, number][] = [];
    const selecting = work([1, 5, 7], async (run, ctx) => {
      seen.push([run, ctx.attempt]);
      return { status: 'done' };
    }, { selectsRuns: true });
    const summary = await runPass(selecting, { config, logger, mode: 'full', handleSignals: false, now: () => new Date('2026-11-21T06:00:01Z') });
    expect(seen.sort((a, b) => a[0] - b[0])).toEqual([[1, 1], [5, 2], [7, 1]]);
    expect(summary.done.map((d) => d.run)).toEqual([1, 5, 7]);
    expect(summary.skipped).toEqual([]);
    // Run 6 was not listed: left as it was.
    const ledger = Ledger.load(`${config.work_dir}/state`, 'unit');
    expect(ledger.failure(6)?.n_failures).toBe(1);
    expect(ledger.failure(5)).toBeUndefined();
  });

  it('lock scope none takes no lock and records nothing; a dry run of a previewing stage calls it with dryRun and records nothing', async () => {
    const { config, logger } = setup();
    const none = await runPass(work([1, 2], async () => ({ status: 'done' }), { lock: 'none' }), { config, logger, mode: 'full', handleSignals: false });
    expect(none.done.map((d) => d.run)).toEqual([1, 2]);
    expect(fs.existsSync(`${config.work_dir}/state/unit.json`)).toBe(false);
    expect(fs.existsSync(`${config.work_dir}/locks`)).toBe(false);

    const seen: boolean[] = [];
    const dry = await runPass(
      work([5, 6], async (run, ctx) => {
        seen.push(ctx.dryRun);
        if (run === 6) throw new Error('malformed run.yaml');
        return { status: 'done', detail: 'would insert' };
      }, { previewsDryRun: true }),
      { config, logger, mode: 'full', dryRun: true, handleSignals: false },
    );
    expect(seen).toEqual([true, true]);
    expect(dry.planned).toEqual([5]);
    expect(dry.failed.map((f) => [f.run, f.reason, f.n_failures])).toEqual([[6, 'malformed run.yaml', undefined]]);
    expect(fs.existsSync(`${config.work_dir}/state/unit.json`)).toBe(false);
    expect(fs.existsSync(`${config.work_dir}/locks`)).toBe(false);
  });

  it('lock scope run: two passes of one stage run at once, never on the same run, and both outcomes reach the ledger', async () => {
    const { config, logger } = setup();
    const started: number[] = [];
    const slow = (ms: number): StageWork['processRun'] => async (run) => {
      started.push(run);
      await new Promise((r) => setTimeout(r, ms));
    };
    const [a, b] = await Promise.all([
      runPass(work([1, 2], slow(300), { lock: 'run' }), { config, logger, mode: 'incremental', handleSignals: false, concurrency: 1 }),
      runPass(work([1, 2], slow(300), { lock: 'run' }), { config, logger, mode: 'incremental', handleSignals: false, concurrency: 1 }),
    ]);
    const done = [...a.done, ...b.done].map((d) => d.run).sort();
    const skipped = [...a.skipped, ...b.skipped];
    expect(done.length + skipped.length).toBe(4);
    expect(new Set(done).size).toBe(done.length);
    // Skipped while the other pass held the run, or after it finished it (the selection was made before).
    for (const s of skipped) expect(s.reason).toMatch(/^(another pass is working on this run \(host \S+, pid \d+|done by another pass meanwhile$)/);
    const ledger = Ledger.load(`${config.work_dir}/state`, 'unit');
    for (const run of done) expect(ledger.isDone(run)).toBe(true);
  });
});
