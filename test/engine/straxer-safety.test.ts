// A safe straxer: one straxer per run (exit 75 naming the holder, or --wait), SIGTERM closes every open product with
// an exception (exit 143) and the next run completes, --follow processes a run while the DAQ writes it, and the
// external engine's products carry their real lineage hash and row counts.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { makeTmpDir } from '../support/tmp.js';
import { REPO, RUN, cli, makeLiveRun, rowsOf } from './helpers.js';

interface Proc {
  pid: number;
  stderr(): string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

function straxerAsync(args: string[], cwd: string): Proc {
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'straxer.js'), ...args], { cwd, env: { ...process.env, DAQFLOW_CONFIG: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { pid: child.pid!, stderr: () => stderr, done, kill: (s) => child.kill(s) };
}

/** Poll (no deadline of its own: the test's timeout bounds it) until `check` holds. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(50);
}

/** Make the run look as if the DAQ were still writing it: hide the last chunk's folders and THE_END. */
function hideEnd(runDir: string): () => void {
  const last = fs.readdirSync(runDir).filter((n) => /^\d{6}$/.test(n)).sort().pop()!;
  const hidden = fs.readdirSync(runDir).filter((n) => n === 'THE_END' || n === last || n === `${last}_pre` || n === `${last}_post`);
  const away = makeTmpDir('daq-hidden-');
  for (const n of hidden) fs.renameSync(path.join(runDir, n), path.join(away, n));
  return () => {
    // the DAQ's order: chunk folders first, THE_END last
    for (const n of hidden.filter((x) => x !== 'THE_END')) fs.renameSync(path.join(away, n), path.join(runDir, n));
    if (hidden.includes('THE_END')) fs.renameSync(path.join(away, 'THE_END'), path.join(runDir, 'THE_END'));
  };
}

/** A copy of the live run, in a fresh working folder, that looks as if the DAQ were still writing it. */
function inProgressCopy(live: string): { cwd: string; copy: string; storage: string; restore: () => void } {
  const cwd = makeTmpDir();
  const copy = path.join(cwd, 'live');
  fs.cpSync(live, copy, { recursive: true });
  return { cwd, copy, storage: path.join(cwd, 'strax'), restore: hideEnd(path.join(copy, RUN)) };
}

const allComplete = (storage: string) => new DataDirectory(storage).list({ run: RUN }).every((d) => d.state === 'complete');

/** straxer --follow on the copy, up to event_info. */
const follow = (copy: string, storage: string, cwd: string, workers: number) =>
  straxerAsync([RUN, '-t', 'event_info', '--live', copy, '--storage', storage, '--follow', '--workers', String(workers)], cwd);

const lockHolder = (cwd: string) => path.join(cwd, 'daqflow-work', 'locks', `straxer-${RUN}.holder.json`);
const holderPid = (cwd: string): number | undefined => {
  try {
    return (JSON.parse(fs.readFileSync(lockHolder(cwd), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
};

describe('a safe straxer', () => {
  let live: string;
  beforeAll(async () => {
    live = await makeLiveRun({ sizeMb: 4, seed: 31 });
  });

  it('lets one straxer hold a run: a second exits 75 at once naming the holder; with --wait it runs after it', async () => {
    const { cwd, copy, storage, restore } = inProgressCopy(live);
    const first = follow(copy, storage, cwd, 1);
    await until(() => holderPid(cwd) === first.pid);
    const second = cli('straxer', [RUN, '-t', 'event_info', '--live', copy, '--storage', storage], cwd);
    expect(second.code).toBe(75);
    expect(second.stderr).toContain(`pid ${first.pid}`);
    expect(second.stderr).toContain(`straxer-${RUN}: another straxer holds the lock`);
    const waiting = straxerAsync([RUN, '-t', 'event_info', '--live', copy, '--storage', storage, '--wait', '--json'], cwd);
    await until(() => waiting.stderr().includes('waiting for it (--wait)'));
    expect(waiting.stderr()).toContain(`pid ${first.pid}`);
    restore();
    const a = await first.done;
    expect(a.code, a.stderr).toBe(0);
    const b = await waiting.done;
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout).products.find((p: { data_type: string }) => p.data_type === 'event_info').source).toBe('stored');
    expect(allComplete(storage)).toBe(true);
  }, 120_000);

  it('closes every open product with an exception on SIGTERM (exit 143, nothing complete); the next run completes', async () => {
    const { cwd, copy, storage, restore } = inProgressCopy(live);
    const run = follow(copy, storage, cwd, 2);
    // Mid-run: the products are open (their _temp folders exist) and the reader waits for the next chunk.
    await until(() => fs.existsSync(storage) && fs.readdirSync(storage).filter((n) => n.endsWith('_temp')).length >= 6);
    run.kill('SIGTERM');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toContain('SIGTERM');
    const after = new DataDirectory(storage).list({ run: RUN });
    expect(after.length).toBeGreaterThanOrEqual(6);
    for (const ds of after) {
      expect(ds.state, ds.folderName).toBe('crashed');
      expect(ds.metadata!.exception, ds.folderName).toContain('interrupted by SIGTERM');
    }
    expect(fs.existsSync(lockHolder(cwd)) && fs.existsSync(lockHolder(cwd).replace('.holder.json', '.lock'))).toBe(false);
    restore();
    const next = cli('straxer', [RUN, '-t', 'event_info', '--live', copy, '--storage', storage], cwd);
    expect(next.code, next.stderr).toBe(0);
    expect(allComplete(storage)).toBe(true);
  }, 120_000);

  it('processes a run with --follow while it is written, with the same products as after the run ended', async () => {
    const { cwd, copy, storage: followed, restore } = inProgressCopy(live);
    const run = follow(copy, followed, cwd, 1);
    await until(() => fs.existsSync(followed) && fs.readdirSync(followed).some((n) => n.endsWith('_temp')));
    expect(new DataDirectory(followed).list({ run: RUN }).some((d) => d.state === 'complete')).toBe(false); // still waiting
    restore();
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    const batch = path.join(cwd, 'batch');
    expect(cli('straxer', [RUN, '-t', 'event_info', '--live', copy, '--storage', batch], cwd).code).toBe(0);
    for (const t of ['peaks', 'events', 'event_info']) expect(Buffer.compare(Buffer.from(await rowsOf(followed, t)), Buffer.from(await rowsOf(batch, t))), t).toBe(0);
  }, 120_000);

  it('records the external engine\'s products with the lineage hash and row counts from their metadata', async () => {
    const cwd = makeTmpDir();
    const storage = path.join(cwd, 'strax');
    // The external processor: daqflow's own straxer with the built-in engine, in a work dir of its own.
    const command = [process.execPath, path.join(REPO, 'bin', 'straxer.js'), '{run}', '--target', '{targets}', '--storage', '{storage}', '--live', live, '--set', 'processing.engine=builtin', '--set', `work_dir=${path.join(cwd, 'child')}`];
    const r = cli('straxer', [RUN, '-t', 'peaks', '--storage', storage, '--set', 'processing.engine=command', '--set', `processing.command=${JSON.stringify(command)}`, '--json'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const [p] = JSON.parse(r.stdout).products;
    const ds = new DataDirectory(storage).find(RUN, 'peaks');
    expect(p.lineage_hash).toBe(ds.metadata!.lineage_hash);
    expect(p.key).toBe(`${RUN}-peaks-${ds.metadata!.lineage_hash}`);
    expect(p.rows).toBe(ds.metadata!.chunks.reduce((a, c) => a + c.n, 0));
    expect(p.rows).toBeGreaterThan(0);
    expect(p.compressor).toBe(ds.metadata!.compressor);
  }, 120_000);
});
