// Crash-only, across the whole cron pipeline: import, auto-process (real straxer jobs on the local scheduler), rechunk
// and migrate run as real processes, two at a time, and one of each pair is SIGKILLed at a random moment (≥ 200 kills;
// DAQFLOW_RELIABILITY_KILLS for longer local runs). Afterwards ordinary passes, nobody repairing anything by hand, must
// leave: every run processed, rechunked and archived; one complete copy per data type, registered once; no `_temp`
// folder and no lock file left; no run stuck claimed/submitted/running; ledgers equal to what `recover-state` rebuilds.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/index.js';
import { openRunStore, stageOf, type RunStore } from '../../src/rundb/index.js';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { inspectDataset } from '../../src/strax/storage/dataset.js';
import { ARCHIVE_HOST } from '../../src/stages/migrate.js';
import { runCli } from '../cli/run-cli.js';
import { makeTmpDir } from '../support/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'daqflow.js');
const KILLS = Number(process.env.DAQFLOW_RELIABILITY_KILLS ?? 200);
const STAGES = [['import'], ['auto-process'], ['rechunk', '--incremental'], ['migrate', '--incremental']] as const;
const FIRST_RUNS = [12300, 12301, 12302, 12303, 12304];
/**
 * While passes are killed the DAQ keeps taking data: two new runs every few rounds, so kills land on real work, and an
 * import pass killed while it imports both can leave the higher one imported first (a hole below it for later stages).
 */
const NEW_RUNS_EVERY = 8;
const MAX_NEW_RUNS = 20;
const FAKE_DAQ = ['--size-mb', '2', '--daq-chunk-s', '0.1', '--daq-overlap-s', '0.01'];

/** A reproducible sequence in [0, 1). */
function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

type Exit = { stage: string; result: number | 'killed' };

/** One pass as a real process; SIGKILLed after `killAfterMs` unless it ended first. */
function pass(config: string, args: readonly string[], killAfterMs: number | null): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--config', config, '-q'], { stdio: 'ignore' });
    const timer = killAfterMs === null ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ stage: args[0]!, result: signal === 'SIGKILL' ? 'killed' : (code ?? -1) });
    });
  });
}

let store: RunStore | undefined;
afterAll(async () => store?.close());

describe('the pipeline is crash-only', () => {
  it(`SIGKILL at random moments (${KILLS} kills across import, auto-process, rechunk, migrate): ordinary passes then finish every run, nothing half-done or stuck`, async () => {
    const dir = makeTmpDir('daqflow-crash-');
    const object = {
      work_dir: 'work',
      storage: { write_dir: 'work/strax_data', dirs: ['work/strax_data', 'work/production'] },
      import: { source_dirs: ['work/live_data'], settle_minutes: 0 },
      pass: { lock_stale_s: 2, lock_update_s: 1 },
      retry: { base_delay_s: 0.1, jitter_min: 1, jitter_max: 2, factor: 2, max_exponent: 3, max_failures: 50 },
      scheduler: { kind: 'local', daqflow_command: [process.execPath, BIN], poll_interval_s: 1, local_max_parallel: 2 },
      auto_process: { targets: ['peaks'], claim_timeout_s: 1, running_timeout_s: 5, max_submit_per_pass: 3, min_free_disk_fraction: 0, max_failures: 50 },
      processing: { workers: 1 },
      rechunk: { source_dir: 'work/strax_data', dest_dir: 'work/production', target_mb: 1, raw_target_mb: 1 },
      archive: { kind: 'filesystem', path: 'work/archive' },
    };
    const config = path.join(dir, 'config.yaml');
    fs.writeFileSync(config, JSON.stringify(object));
    fs.mkdirSync(path.join(dir, 'work', 'archive'), { recursive: true });
    const RUNS = [...FIRST_RUNS];
    const daq = runCli(['fake-daq', '--runs', `${RUNS[0]}-${RUNS.at(-1)}`, ...FAKE_DAQ, '--config', config], { cwd: dir });
    expect(daq.code, daq.stderr).toBe(0);
    const loaded = configFromObject(object, { baseDir: dir, cwd: dir }).config;
    store = await openRunStore(loaded);

    const random = prng(20261202);
    const pick = () => STAGES[Math.floor(random() * STAGES.length)]!;
    const exits: Exit[] = [];
    let kills = 0;
    for (let round = 1; kills < KILLS; round++) {
      // One pass killed at a random moment, next to one of any stage left to finish (it may find the lock and exit 75).
      const pair = [pass(config, pick(), Math.floor(random() * 1500)), pass(config, pick(), null)];
      const newRuns = round % NEW_RUNS_EVERY === 0 && RUNS.length < FIRST_RUNS.length + MAX_NEW_RUNS ? [RUNS.at(-1)! + 1, RUNS.at(-1)! + 2] : null;
      const daqEnd = newRuns === null ? null : pass(config, ['fake-daq', '--runs', newRuns.join(','), '--seed', String(newRuns[0]), ...FAKE_DAQ], null);
      exits.push(...(await Promise.all(pair)));
      kills += exits.slice(-2).filter((e) => e.result === 'killed').length;
      if (daqEnd) {
        expect((await daqEnd).result, `fake-daq runs ${newRuns!.join(', ')}`).toBe(0);
        RUNS.push(...newRuns!);
      }
    }
    // A pass that was not killed ends 0, 1 (a run failed and will be retried) or 75 (lock held); never 2, 3 or 4.
    expect(exits.filter((e) => typeof e.result === 'number' && ![0, 1, 75].includes(e.result))).toEqual([]);

    // Ordinary cron-like passes from here on, until every run is processed, rechunked and archived.
    const stageOfRun = async (run: number, stage: string) => {
      const doc = await store!.getRun(run);
      return doc ? stageOf(doc, store!.stateField, stage) : undefined;
    };
    const stageState = async (run: number, stage: string) => (await stageOfRun(run, stage))?.state;
    // Processing failures the kills caused (each counts toward auto_process.degrade and max_failures).
    const failuresOf = async () =>
      (await Promise.all(RUNS.map(async (run) => ({ run, p: await stageOfRun(run, 'process') }))))
        .filter(({ p }) => (p?.n_failures ?? 0) > 0)
        .map(({ run, p }) => `${run}: ${p!.n_failures} (${p!.state}, targets ${JSON.stringify(p!.targets)}${p!.reason ? `, last: ${String(p!.reason).slice(0, 160)}` : ''})`);
    const afterKills = await failuresOf();
    const production = path.join(dir, 'work', 'production');
    const rechunked = (run: number) => new DataDirectory(production).list({ run: String(run).padStart(6, '0') }).some((d) => d.dataType === 'peaks' && d.state === 'complete');
    let settled = false;
    let where = '';
    for (let round = 0; round < 120 && !settled; round++) {
      const ends = [];
      for (const args of STAGES) ends.push(await pass(config, args, null));
      const states = await Promise.all(RUNS.map(async (r) => [await stageState(r, 'process'), await stageState(r, 'migrate')]));
      const sourceLeft = fs.existsSync(path.join(dir, 'work', 'strax_data')) ? fs.readdirSync(path.join(dir, 'work', 'strax_data')) : [];
      // A lock a killed pass left is taken over by the stage's next pass once it is older than pass.lock_stale_s, and
      // released when that pass ends (`<stage>.holder.json` says who held it last and stays; the lock is `<stage>.lock`).
      const locksLeft = fs.readdirSync(path.join(dir, 'work', 'locks')).filter((f) => f.endsWith('.lock'));
      settled = states.every(([p, m]) => p === 'done' && m === 'done') && RUNS.every(rechunked) && sourceLeft.length === 0 && locksLeft.length === 0;
      where = `process/migrate ${JSON.stringify(RUNS.map((r, i) => [r, ...states[i]!]))}, failures after the kills ${JSON.stringify(afterKills)}, now ${JSON.stringify(await failuresOf())}, rechunked ${JSON.stringify(RUNS.map(rechunked))}, left in strax_data ${JSON.stringify(sourceLeft)}, locks ${JSON.stringify(locksLeft)}, last exits ${JSON.stringify(ends)}`;
      if (!settled) await new Promise((r) => setTimeout(r, 500));
    }
    expect(settled, `every run processed, rechunked and archived, no lock left; after the last round: ${where} (work dir ${dir})`).toBe(true);

    // Nothing stuck, nothing half-written.
    expect(await store.countRuns({ stage: 'process', states: ['claimed', 'submitted', 'running'] })).toBe(0);
    const storageFiles = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d, { recursive: true }).map(String) : []);
    expect([...storageFiles(production), ...storageFiles(path.join(dir, 'work', 'strax_data'))].filter((f) => /_temp/.test(f))).toEqual([]);

    for (const run of RUNS) {
      const doc = (await store.getRun(run))!;
      // One registered copy per data type and host, each complete where it says it is.
      const entries = (doc.data ?? []).filter((e) => e.host !== ARCHIVE_HOST && e.type !== 'live');
      const keys = entries.map((e) => `${e.type}@${e.host}`);
      expect(new Set(keys).size, `run ${run}: ${keys.join(', ')}`).toBe(keys.length);
      for (const e of entries) {
        expect(e.location.startsWith(production), `run ${run} ${e.type} registered at ${e.location}`).toBe(true);
        expect(inspectDataset(e.location)?.state, e.location).toBe('complete');
      }
      // The archive holds the run's record with a matching MD5 sidecar.
      const object = path.join(dir, 'work', 'archive', `${String(run).padStart(6, '0')}.tar`);
      const md5 = crypto.createHash('md5').update(fs.readFileSync(object)).digest('hex');
      expect(fs.readFileSync(`${object}.md5`, 'utf8').split(' ')[0]).toBe(md5);
    }
    // The ledgers are what the sources say: rebuilding them from the sources of truth would change nothing.
    const recover = runCli(['recover-state', 'import', 'migrate', 'rechunk', '--dry-run', '--json', '--config', config], { cwd: dir });
    expect(recover.code, recover.stderr).toBe(0);
    const changes = (JSON.parse(recover.stdout) as { changes: { stage: string; changed: boolean }[] }).changes;
    expect(changes.map((c) => c.stage).sort()).toEqual(['import', 'migrate', 'rechunk']);
    expect(changes.filter((c) => c.changed), recover.stdout).toEqual([]);
    console.log(`crash-only: ${RUNS.length} runs; processing failures the kills caused: ${afterKills.length ? afterKills.join('; ') : 'none'}`);
    console.log(`crash-only: ${kills} kills in ${exits.length} passes (${['import', 'auto-process', 'rechunk', 'migrate'].map((s) => `${s} ${exits.filter((e) => e.stage === s && e.result === 'killed').length}`).join(', ')})`);
  }, 1_200_000);
});
