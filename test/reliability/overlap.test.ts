// Overlap: 20 invocations of each stage command at once on one world (the demo's), as cron would start them when a pass runs long.
// The first to take the lock is paused (SIGSTOP) while it holds it, so the 19 others meet a held lock however loaded the machine is;
// every one of them must exit 75 at once, naming the holder; the holder then finishes its work, and the state is what one pass makes.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { execa, type ResultPromise } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../support/tmp.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const env = { ...process.env, DAQFLOW_CONFIG: '' };
const N = 20;
const NEW_RUN = '012110';
let workDir = '';
let config = '';

function cli(bin: 'daqflow' | 'straxer', args: string[]): ResultPromise<{ reject: false; env: typeof env }> {
  return execa(process.execPath, [path.join(root, 'bin', `${bin}.js`), '--config', config, ...args], { cwd: workDir, env, reject: false });
}

async function runsList(stage: string): Promise<Map<number, { state: string; n_failures: number }>> {
  const r = await cli('daqflow', ['runs', 'list', '--stage', stage, '--json', '-q']);
  return new Map(JSON.parse(r.stdout).runs.map((x: { run: number }) => [x.run, x]));
}

/** Waits until `pid` is recorded as the holder of lock `name` (written right after the lock is taken), or the process ends. */
async function whenHolding(name: string, pid: number, ended: () => boolean): Promise<void> {
  const file = path.join(workDir, 'locks', `${name}.holder.json`);
  for (;;) {
    try {
      if (JSON.parse(fs.readFileSync(file, 'utf8')).pid === pid) return;
    } catch {
      // not written yet, or being replaced
    }
    if (ended()) throw new Error(`the first ${name} pass ended before it was seen holding the lock; give it more work`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function waitUntil(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 2));
}

/**
 * Holds a write transaction on the runs DB: a pass that took its stage lock then waits at its first runs-DB write (up
 * to `rundb.busy_timeout_ms`) while it holds the lock, however fast its work and however loaded the machine. The others
 * only read before they try the lock (WAL), so they meet the held lock and exit 75.
 */
function holdRunsDb(): { args: string[]; release(): void } {
  const db = new Database(path.join(workDir, 'runs.sqlite'));
  db.exec('BEGIN IMMEDIATE');
  return {
    args: ['--set', 'rundb.busy_timeout_ms=600000'],
    release: () => {
      if (!db.open) return;
      db.exec('COMMIT');
      db.close();
    },
  };
}

/**
 * One pass takes the lock and is paused; N − 1 more start at once and must all exit 75; the first then completes.
 * With `hold`, the first pass also waits on the runs DB until the others have ended (passes whose work takes less time
 * than it takes to see them holding the lock).
 */
async function overlap(bin: 'daqflow' | 'straxer', args: string[], lock: string, hold?: { args: string[]; release(): void }) {
  try {
    return await overlapHeld(bin, args, lock, hold);
  } finally {
    hold?.release();
  }
}

async function overlapHeld(bin: 'daqflow' | 'straxer', args: string[], lock: string, hold?: { args: string[]; release(): void }) {
  const first = cli(bin, [...args, ...(hold?.args ?? []), '--json', '-q']);
  let ended = false;
  void first.finally(() => (ended = true));
  await whenHolding(lock, first.pid!, () => ended);
  process.kill(first.pid!, 'SIGSTOP');
  // Stopped while it holds the lock (state T), not a process that already finished its pass (Z) between the check and the signal.
  await waitUntil(() => /^\S+ \(.*\) [TZ]/.test(fs.readFileSync(`/proc/${first.pid}/stat`, 'utf8')));
  expect(fs.readFileSync(`/proc/${first.pid}/stat`, 'utf8'), `the first ${lock} pass finished before it could be paused`).toMatch(/^\S+ \(.*\) T/);
  const others = await Promise.all(Array.from({ length: N - 1 }, () => cli(bin, [...args, '--json', '-q'])));
  hold?.release();
  process.kill(first.pid!, 'SIGCONT');
  const holder = await first;
  for (const r of others) {
    expect(r.exitCode, r.stderr).toBe(75);
    expect(r.stderr).toMatch(new RegExp(`another .*holds the lock .*${lock}\\.lock \\(host \\S+, pid ${first.pid}, since \\d{4}-`));
  }
  expect(holder.exitCode, holder.stderr).toBe(0);
  return { holder, others };
}

beforeAll(async () => {
  workDir = path.join(makeTmpDir('daqflow-overlap-'), 'daqflow-work');
  const demo = await execa(process.execPath, [path.join(root, 'scripts', 'demo.mjs'), '--work-dir', workDir, '--runs', '3', '--size-mb', '2'], { env, reject: false, all: true });
  expect(demo.exitCode, demo.all).toBe(0);
  config = path.join(workDir, 'demo-config.yaml');
  // A new run big enough that processing and rechunking it take a moment; a 512 MB sparse file (not a run-record file, so
  // migrate does not archive it) gives import a second of hashing.
  const fake = await cli('daqflow', ['fake-daq', '--runs', NEW_RUN, '--size-mb', '12', '--seed', '9']);
  expect(fake.exitCode, fake.stderr).toBe(0);
  const fd = fs.openSync(path.join(workDir, 'live_data', NEW_RUN, 'big.bin'), 'w');
  fs.ftruncateSync(fd, 512 * 1024 ** 2);
  fs.closeSync(fd);
}, 180_000);

describe(`${N} overlapping invocations of each stage: one works, the others exit 75`, () => {
  it('straxer on one run', async () => {
    const { holder } = await overlap('straxer', [NEW_RUN, '--target', 'event_info'], `straxer-${NEW_RUN}`);
    expect(holder.stdout).toMatch(/event_info/);
    const folders = fs.readdirSync(path.join(workDir, 'strax_data')).filter((d) => d.startsWith(`${NEW_RUN}-`));
    expect(folders.some((d) => d.startsWith(`${NEW_RUN}-event_info-`))).toBe(true);
    expect(folders.filter((d) => d.endsWith('_temp'))).toEqual([]);
    // The new run's datasets are whole (the demo's corrupt run has crashed ones, which verify reports too).
    const verify = await cli('daqflow', ['data', 'verify', path.join(workDir, 'strax_data'), '--json', '-q']);
    const mine = JSON.parse(verify.stdout).datasets.filter((d: { run: string }) => d.run === NEW_RUN);
    expect(mine.length).toBeGreaterThanOrEqual(7);
    for (const d of mine) expect(d.ok, JSON.stringify(d.problems)).toBe(true);
  }, 180_000);

  it('import', async () => {
    const { holder } = await overlap('daqflow', ['import'], 'import', holdRunsDb());
    expect(JSON.parse(holder.stdout).done.map((d: { run: number }) => d.run)).toEqual([12110]);
    expect((await runsList('import')).get(12110)?.state).toBe('done');
  }, 180_000);

  it('auto-process', async () => {
    expect((await runsList('import')).get(12110)?.state, 'the import test ran first').toBe('done');
    const { holder } = await overlap('daqflow', ['auto-process'], 'auto_process', holdRunsDb());
    // The run was claimed and submitted once, by the one pass that worked.
    const summary = JSON.parse(holder.stdout);
    expect(summary.auto_process.submitted.map((s: { run: number }) => s.run), holder.stdout).toEqual([12110]);
    const state = (await runsList('process')).get(12110);
    expect(['submitted', 'running', 'done'], JSON.stringify(state)).toContain(state?.state);
  }, 180_000);

  it('rechunk', async () => {
    // rechunk leaves a run alone while its processing is in flight: let auto-process follow the job to its end first.
    for (let i = 0; (await runsList('process')).get(12110)?.state !== 'done'; i++) {
      expect(i, JSON.stringify((await runsList('process')).get(12110))).toBeLessThan(120);
      await cli('daqflow', ['auto-process', '-q']);
      await new Promise((r) => setTimeout(r, 500));
    }
    const { holder } = await overlap('daqflow', ['rechunk', NEW_RUN], 'rechunk', holdRunsDb());
    expect(JSON.parse(holder.stdout).done.map((d: { run: number }) => d.run)).toEqual([12110]);
    expect(fs.readdirSync(path.join(workDir, 'strax_production')).filter((d) => d.startsWith(`${NEW_RUN}-event_info-`))).toHaveLength(1);
    expect(fs.readdirSync(path.join(workDir, 'strax_data')).filter((d) => d.startsWith(`${NEW_RUN}-`))).toEqual([]);
  }, 180_000);

  it('migrate', async () => {
    const { holder } = await overlap('daqflow', ['migrate', NEW_RUN], 'migrate', holdRunsDb());
    expect(JSON.parse(holder.stdout).done.map((d: { run: number }) => d.run)).toEqual([12110]);
    expect(fs.existsSync(path.join(workDir, 'archive', `${NEW_RUN}.tar`))).toBe(true);
    expect((await runsList('migrate')).get(12110)?.state).toBe('done');
  }, 180_000);
});
