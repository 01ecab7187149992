// auto-process end to end on the local scheduler: fake-daq runs (one with corrupted live data) imported, then passes
// run real straxer jobs until every good run is done with its targets stored and the corrupt one is given up.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirectory } from '../../src/strax/index.js';
import { runCli } from '../cli/run-cli.js';
import { makeTmpDir } from '../support/tmp.js';
import { autoSetup, passUntil, type AutoSetup } from './auto-process-helpers.js';

let s: AutoSetup | undefined;
afterAll(async () => s?.store.close());

/** Overwrite every DAQ file of the run's first chunk folder with bytes that are no compressed frame. */
function corrupt(liveDir: string): void {
  const chunk = fs.readdirSync(liveDir).filter((n) => /^\d{6}$/.test(n)).sort()[0]!;
  for (const f of fs.readdirSync(path.join(liveDir, chunk))) fs.writeFileSync(path.join(liveDir, chunk, f), Buffer.alloc(4096, 0x5a));
}

describe('auto-process on the local scheduler with real straxer jobs', () => {
  it('good runs end done with every target stored and recorded; a corrupt run fails with growing delays, loses targets per the table, and stops at the maximum', async () => {
    const dir = makeTmpDir();
    const work = path.join(dir, 'work');
    const runs = [12100, 12101, 12102, 12103];
    const bad = 12103;
    const daq = runCli(['fake-daq', '--runs', '012100-012103', '--size-mb', '2', '--daq-chunk-s', '0.1', '--daq-overlap-s', '0.01', '--set', `work_dir=${work}`], { cwd: dir });
    expect(daq.code, daq.stderr).toBe(0);
    corrupt(path.join(work, 'live_data', '012103'));
    s = await autoSetup(
      {
        import: { source_dirs: [path.join(work, 'live_data')], settle_minutes: 0 },
        // Delays of exactly 60 s × 2^n on a pass clock that jumps to the next retry (below): deterministic growth, and a
        // failure is always seen between two passes (with real sub-second delays a pass could resubmit the run it had
        // just failed, and the failed state was never seen).
        retry: { base_delay_s: 60, jitter_min: 1, jitter_max: 1, factor: 2, max_exponent: 3, max_failures: 3 },
        scheduler: { daqflow_command: [], local_max_parallel: 2 },
        auto_process: { max_failures: 3, degrade: [{ after_failures: 2, drop_targets: ['event*'] }] },
      },
      [],
      dir,
    );
    const imported = runCli(['import', '--set', `work_dir=${work}`, '--set', `import.source_dirs=[${path.join(work, 'live_data')}]`, '--set', 'import.settle_minutes=0'], { cwd: dir });
    expect(imported.code, imported.stderr).toBe(0);

    const delays: number[] = [];
    let offset = 0;
    const clock = () => new Date(Date.now() + offset);
    const settled = async (passes: readonly { auto_process: { gave_up: number[] } }[]) => {
      const states = await Promise.all(runs.map((r) => s!.state(r)));
      const b = states[runs.indexOf(bad)];
      if (b?.state === 'failed' && b.next_retry instanceof Date && b.updated_at instanceof Date && delays.length < (b.n_failures ?? 0)) {
        // The job itself records its failure and retry time (real clock); the pass clock then jumps just past it.
        delays.push(b.next_retry.getTime() - b.updated_at.getTime());
        offset = Math.max(offset, b.next_retry.getTime() - Date.now() + 1);
      }
      // The job records its own third failure; a pass must then have counted it (given up, in its summary) before the
      // loop may stop — without that, a check right after the job's write ended the loop before any pass saw it.
      const gaveUp = passes.some((p) => p.auto_process.gave_up.includes(bad));
      return gaveUp && states.every((st, i) => (runs[i] === bad ? st?.state === 'failed' && st.n_failures === 3 : st?.state === 'done' && st.verified_at instanceof Date));
    };
    const passes = await passUntil(s, settled, { now: clock }, 300);

    const storage = new DataDirectory(path.join(work, 'strax_data'));
    for (const run of runs.filter((r) => r !== bad)) {
      const st = await s.state(run);
      expect(st?.verified_at, `run ${run}`).toBeInstanceOf(Date);
      expect(storage.find(`0${run}`, 'event_info').state).toBe('complete');
      const doc = await s.store.getRun(run);
      expect(doc?.data?.some((d) => d.type === 'event_info' && d.location.includes(`0${run}-event_info-`))).toBe(true);
    }
    const targetsOfBad = passes.flatMap((p) => p.auto_process.submitted.filter((x) => x.run === bad).map((x) => x.targets.join(',')));
    expect(targetsOfBad).toEqual(['event_info', 'event_info', 'peak_basics']);
    const final = await s.state(bad);
    expect(final?.next_retry).toBeNull();
    expect(String(final?.reason)).toMatch(/012103/);
    expect(passes.some((p) => p.auto_process.gave_up.includes(bad))).toBe(true);
    // 60 s then 120 s: each retry waits longer than the one before.
    expect(delays.length).toBeGreaterThanOrEqual(2);
    expect(Math.abs(delays[0]! - 60_000)).toBeLessThan(1000);
    expect(Math.abs(delays[1]! - 120_000)).toBeLessThan(1000);
    // Nothing is submitted again once given up, and no good run was ever submitted twice.
    const submissions = passes.flatMap((p) => p.auto_process.submitted.map((x) => x.run));
    for (const run of runs.filter((r) => r !== bad)) expect(submissions.filter((r) => r === run)).toHaveLength(1);
    expect((await s.pass({ now: () => new Date(clock().getTime() + 86_400_000) })).auto_process.submitted).toEqual([]);
  }, 300_000);
});
