import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/index.js';
import { ServiceUnavailableError } from '../../src/errors.js';
import { memoryLogger } from '../../src/log/index.js';
import { Ledger, readLastPass, readLastPasses, runPass, type PassSummary, type StageWork } from '../../src/pass/index.js';
import { makeTmpDir } from '../support/tmp.js';

function setup() {
  const dir = makeTmpDir();
  const { config } = configFromObject({ work_dir: 'work', pass: { concurrency: 2 } }, { baseDir: dir, cwd: dir });
  return { config, logger: memoryLogger() };
}

const work = (runs: number[], processRun: StageWork['processRun']): StageWork => ({ stage: 'unit', listSourceRuns: async () => runs, processRun });

describe('runPass in process', () => {
  it('records done, failed and skipped runs, and hooks see the saved summary', async () => {
    const { config, logger } = setup();
    const seen: PassSummary[] = [];
    let ledgerAtHook: Ledger | undefined;
    const summary = await runPass(
      work([1, 2, 3, 4], async (run) => {
        if (run === 2) throw new Error('checksum mismatch');
        if (run === 3) return { status: 'skipped', reason: 'not finished yet' };
        return { status: 'done', detail: `run ${run} ok` };
      }),
      {
        config, logger, mode: 'incremental', handleSignals: false,
        hooks: [
          (s) => {
            seen.push(s);
            ledgerAtHook = Ledger.load(`${config.work_dir}/state`, 'unit');
          },
          () => {
            throw new Error('smtp down');
          },
        ],
      },
    );
    expect(summary.done.map((d) => d.run)).toEqual([1, 4]);
    expect(summary.failed.map((f) => [f.run, f.reason, f.n_failures])).toEqual([[2, 'checksum mismatch', 1]]);
    expect(summary.skipped).toEqual([{ run: 3, reason: 'not finished yet' }]);
    expect(summary.last_contiguous_run).toBe(1);
    expect(seen).toEqual([summary]);
    // The ledger was already saved when the hooks ran; a failing hook is logged, not fatal.
    expect(ledgerAtHook?.failure(2)?.reason).toBe('checksum mismatch');
    expect(ledgerAtHook?.doneAbove).toEqual([4]);
    expect(logger.messages('error').some((m) => m.includes('summary hook failed') && m.includes('smtp down'))).toBe(true);
  });

  it('a service outage stops the pass with its own error and does not count as a run failure', async () => {
    const { config, logger } = setup();
    const started: number[] = [];
    const error = await runPass(
      work([10, 11, 12, 13, 14], async (run) => {
        started.push(run);
        if (run === 11) throw new ServiceUnavailableError('runs DB unreachable');
        await new Promise((r) => setTimeout(r, 20));
        return { status: 'done' };
      }),
      { config, logger, mode: 'incremental', handleSignals: false, concurrency: 1 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(started).toEqual([10, 11]);
    const ledger = Ledger.load(`${config.work_dir}/state`, 'unit');
    expect(ledger.lastContiguousRun).toBe(10);
    expect(ledger.failed).toEqual({});
  });

  it('a dry run selects candidates but neither locks, processes nor writes a ledger', async () => {
    const { config, logger } = setup();
    let called = false;
    const summary = await runPass(work([5, 6], async () => { called = true; }), { config, logger, mode: 'full', dryRun: true, handleSignals: false });
    expect(summary.planned).toEqual([5, 6]);
    expect(called).toBe(false);
    expect(fs.existsSync(`${config.work_dir}/state/unit.json`)).toBe(false);
    expect(fs.existsSync(`${config.work_dir}/locks`)).toBe(false);
  });

  it('records each pass in state/<stage>.last-pass.json: runs failed, then a stop by an outage, then a source that cannot be listed', async () => {
    const { config, logger } = setup();
    const stateDir = `${config.work_dir}/state`;
    await runPass(work([1, 2, 3], async (run) => (run === 2 ? Promise.reject(new Error('bad run')) : { status: 'done' })), { config, logger, mode: 'incremental', handleSignals: false });
    const first = readLastPass(stateDir, 'unit')!;
    expect(first).toMatchObject({ stage: 'unit', mode: 'incremental', exit_code: 1, outcome: 'runs_failed', counts: { candidates: 3, done: 2, failed: 1, skipped: 0, pending: 0, aborted: 0 } });
    expect(Date.parse(first.ended_at) - Date.parse(first.started_at)).toBeGreaterThanOrEqual(0);

    await runPass(work([2, 4], async () => Promise.reject(new ServiceUnavailableError('runs DB unreachable'))), { config, logger, mode: 'incremental', handleSignals: false, concurrency: 1 }).catch(() => undefined);
    const second = readLastPass(stateDir, 'unit')!;
    expect(second).toMatchObject({ exit_code: 4, outcome: 'stopped' });
    expect(second.started_at >= first.ended_at).toBe(true);

    const listing: StageWork = { stage: 'unit', listSourceRuns: async () => Promise.reject(new ServiceUnavailableError('source folder unreachable')), processRun: async () => ({ status: 'done' }) };
    await expect(runPass(listing, { config, logger, mode: 'incremental', handleSignals: false })).rejects.toThrow('source folder unreachable');
    expect(readLastPass(stateDir, 'unit')).toMatchObject({ exit_code: 4, outcome: 'stopped', counts: { candidates: 0 } });
    expect(readLastPasses(stateDir).map((p) => p.stage)).toEqual(['unit']);
  });
});
