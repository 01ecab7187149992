// Crash-only: auto-process passes SIGKILLed at random moments (≥ 50 times, real processes, real straxer jobs on the
// local scheduler) while other passes keep running; afterwards ordinary passes bring every run to done without a person.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { makeTmpDir } from '../support/tmp.js';
import { autoSetup, passUntil, type AutoSetup } from './auto-process-helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'daqflow.js');
let s: AutoSetup | undefined;
afterAll(async () => s?.store.close());

/** A reproducible sequence in [0, 1). */
function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Start a pass; resolve with its exit code, or 'killed' when `killAfterMs` elapsed first. */
function passProcess(config: string, killAfterMs: number | null): Promise<number | 'killed'> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'auto-process', '--config', config, '-q'], { stdio: 'ignore' });
    const timer = killAfterMs === null ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal === 'SIGKILL' ? 'killed' : (code ?? -1));
    });
  });
}

describe('auto-process is crash-only', () => {
  it('SIGKILL at random moments ≥ 50 times: every run ends done, none stuck claimed/submitted/running, no run processed by two jobs at once', async () => {
    const dir = makeTmpDir();
    const work = path.join(dir, 'work');
    const live = path.join(work, 'live_data');
    const daq = runCli(['fake-daq', '--runs', '012200-012205', '--size-mb', '2', '--daq-chunk-s', '0.1', '--daq-overlap-s', '0.01', '--set', `work_dir=${work}`], { cwd: dir });
    expect(daq.code, daq.stderr).toBe(0);
    // Every job appends "<run> start|end <rc> <ns>" around the real straxer, so overlapping executions can be found.
    const jobLog = path.join(dir, 'jobs.log');
    const wrapper = `echo "$2 start 0 $(date +%s%N)" >> ${jobLog}; "${process.execPath}" "${BIN}" "$@"; rc=$?; echo "$2 end $rc $(date +%s%N)" >> ${jobLog}; exit $rc`;
    s = await autoSetup(
      {
        import: { source_dirs: [live], settle_minutes: 0 },
        pass: { lock_stale_s: 2, lock_update_s: 1 },
        scheduler: { local_max_parallel: 2 },
        auto_process: { claim_timeout_s: 1, max_submit_per_pass: 3 },
      },
      ['sh', '-c', wrapper, 'sh'],
      dir,
    );
    const config = path.join(dir, 'config.yaml');
    expect(runCli(['import', '--config', config], { cwd: dir }).code).toBe(0);
    const runs = (await s.store.listRuns({})).map((d) => d.number);
    expect(runs).toHaveLength(6);

    const random = prng(20261201);
    let kills = 0;
    const exits: Array<number | 'killed'> = [];
    while (kills < 50) {
      // A pass killed at a random moment, alongside one left to finish (which may find the lock and exit 75).
      const [killed, kept] = await Promise.all([passProcess(config, Math.floor(random() * 900)), random() < 0.3 ? passProcess(config, null) : Promise.resolve(null)]);
      exits.push(killed);
      if (kept !== null) exits.push(kept);
      if (killed === 'killed') kills++;
    }
    expect(exits.filter((e) => e !== 'killed' && e !== 0 && e !== 75)).toEqual([]);

    // Ordinary passes from here on: nobody repairs anything by hand. The last killed pass may have left its lock, fresh
    // for up to pass.lock_stale_s: like cron passes, the first ones then exit 75 until a later one takes the lock over.
    // Settled means every run done and no lock left (an ordinary pass has taken over and released a killed pass's lock).
    const states = async () => Promise.all(runs.map(async (r) => (await s!.state(r))?.state));
    const lockLeft = () => fs.existsSync(path.join(work, 'locks', 'auto_process.lock'));
    await passUntil(s, async () => (await states()).every((st) => st === 'done') && !lockLeft(), {}, 1500, { lockBusy: 'skip' });
    expect(await s.store.countRuns({ stage: 'process', states: ['claimed', 'submitted', 'running'] })).toBe(0);

    // Jobs whose claim no longer owned the run stop at once with exit 75; all others ran one at a time per run.
    const lines = fs.readFileSync(jobLog, 'utf8').trim().split('\n').map((l) => l.split(' '));
    const spans = new Map<string, Array<{ start: bigint; end: bigint; rc: string }>>();
    const open = new Map<string, bigint[]>();
    for (const [run, what, rc, t] of lines as [string, string, string, string][]) {
      if (what === 'start') open.set(run, [...(open.get(run) ?? []), BigInt(t)]);
      else {
        const starts = open.get(run)!;
        spans.set(run, [...(spans.get(run) ?? []), { start: starts.shift()!, end: BigInt(t), rc }]);
      }
    }
    for (const [run, list] of spans) {
      const working = list.filter((j) => j.rc !== '75').sort((a, b) => (a.start < b.start ? -1 : 1));
      for (let i = 1; i < working.length; i++) expect(working[i]!.start >= working[i - 1]!.end, `run ${run}: two jobs at once`).toBe(true);
    }
  }, 600_000);
});
