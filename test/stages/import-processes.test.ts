import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importWorld, startCli, waitFor, writeRun } from './import-helpers.js';

const GB = 1024 ** 3;

describe('import as real processes', () => {
  it('20 overlapping invocations: one imports, the 19 others exit 75 at once naming the holder', async () => {
    const world = importWorld();
    // A sparse 3 GB file costs seconds of MD5 but no disk: the holder is still working when the last contender starts.
    for (const run of [1, 2, 3]) writeRun(world.source, run, { sparseBytes: run === 3 ? 3 * GB : undefined });
    const runs = Array.from({ length: 20 }, () => startCli(['import', '--incremental', '--config', world.configFile, '--json', '-q']));
    const results = await Promise.all(runs.map((r) => r.done));
    const winners = results.filter((r) => r.code === 0);
    const busy = results.filter((r) => r.code === 75);
    expect(winners).toHaveLength(1);
    expect(busy).toHaveLength(19);
    for (const r of busy) expect(r.stderr).toMatch(/import: another pass holds the lock .*import\.lock \(host \S+, pid \d+, since \d{4}-/);
    // Every contender was gone before the holder finished: none waited for the lock.
    expect(Math.max(...busy.map((r) => r.order))).toBeLessThan(winners[0]!.order);
    expect(JSON.parse(winners[0]!.stdout).done.map((d: { run: number }) => d.run)).toEqual([1, 2, 3]);
  }, 120_000);

  it('SIGTERM: the run in flight finishes and is recorded, nothing new starts, exit 143; the next pass does the rest', async () => {
    const world = importWorld();
    // Run 1 holds a sparse 1 GB file: it is still in flight when the signal comes.
    for (const run of [1, 2, 3, 4]) writeRun(world.source, run, { sparseBytes: run === 1 ? GB : undefined });
    const pass = startCli(['import', '--incremental', '--concurrency', '1', '--config', world.configFile]);
    await waitFor(() => /4 runs in the source, 4 to process/.test(pass.stderr()), 'the pass to start');
    pass.child.kill('SIGTERM');
    const result = await pass.done;
    expect(result.code).toBe(143);
    expect(result.stderr).toMatch(/SIGTERM received: no new runs will start/);
    const ledger = JSON.parse(fs.readFileSync(path.join(world.dir, 'work', 'state', 'import.json'), 'utf8'));
    expect(ledger.last_contiguous_run).toBe(1);
    expect(ledger.failed).toEqual({});
    const next = await startCli(['import', '--incremental', '--config', world.configFile, '--json', '-q']).done;
    expect(next.code).toBe(0);
    expect(JSON.parse(next.stdout).done.map((d: { run: number }) => d.run)).toEqual([2, 3, 4]);
  }, 120_000);

  it('SIGKILL mid-pass loses nothing: the lock is taken over once stale and the next pass completes every run', async () => {
    const world = importWorld('pass:\n  lock_stale_s: 2\n  lock_update_s: 1\n');
    for (const run of [1, 2, 3]) writeRun(world.source, run, { sparseBytes: run === 2 ? GB : undefined });
    const pass = startCli(['import', '--incremental', '--concurrency', '1', '--config', world.configFile]);
    // One run at a time: the first "done" is run 1, and run 2 (1 GB to hash) is in flight when the kill comes.
    await waitFor(() => /done in .*run=000001/.test(pass.stderr()), 'run 1 to be done');
    pass.child.kill('SIGKILL');
    await pass.done;
    const ledger = JSON.parse(fs.readFileSync(path.join(world.dir, 'work', 'state', 'import.json'), 'utf8'));
    expect(ledger.last_contiguous_run).toBe(1);
    // Stale counts from the lock folder's mtime, which proper-lockfile may set up to 1 s ahead when it takes the lock.
    const lockMtime = fs.statSync(path.join(world.dir, 'work', 'locks', 'import.lock')).mtimeMs;
    await new Promise((r) => setTimeout(r, Math.max(0, lockMtime + 2500 - Date.now())));
    const next = await startCli(['import', '--incremental', '--config', world.configFile, '--json']).done;
    expect(next.code).toBe(0);
    expect(next.stderr).toMatch(/took over a stale lock import/);
    expect(JSON.parse(next.stdout).done.map((d: { run: number }) => d.run)).toEqual([2, 3]);
  }, 120_000);

  it('a broken run makes the pass exit 1 and names the file; the others are imported', async () => {
    const world = importWorld();
    for (const run of [1, 2]) writeRun(world.source, run);
    fs.writeFileSync(path.join(world.source, '000002', 'run_record', 'run_info.json'), '{"number": 2,');
    const result = await startCli(['import', '--config', world.configFile]).done;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`failed  2: ${path.join(world.source, '000002', 'run_record', 'run_info.json')}: malformed JSON`);
    expect(result.stdout).toMatch(/import: 1 done, 1 failed, 0 skipped; last contiguous run 1/);
  }, 60_000);

  it('the archiver invocation `daqflow config.yaml --incremental` imports, then migrates', async () => {
    const world = importWorld();
    const archive = path.join(world.dir, 'archive');
    fs.mkdirSync(archive);
    fs.appendFileSync(world.configFile, `archive:\n  kind: filesystem\n  path: ${archive}\n`);
    writeRun(world.source, 5);
    const result = await startCli([world.configFile, '--incremental'], world.dir).done;
    expect(result.stderr).toContain(`archiver flags ${world.configFile} --incremental → daqflow import --incremental --config ${world.configFile} ; daqflow migrate --incremental --config ${world.configFile}`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/migrate: 1 done, 0 failed/);
    expect(JSON.parse(fs.readFileSync(path.join(world.dir, 'work', 'state', 'migrate.json'), 'utf8')).last_contiguous_run).toBe(5);
    const ledger = JSON.parse(fs.readFileSync(path.join(world.dir, 'work', 'state', 'import.json'), 'utf8'));
    expect(ledger.last_contiguous_run).toBe(5);
    const only = await startCli([world.configFile, '--import-only', '-v'], world.dir).done;
    expect(only.code).toBe(0);
  }, 60_000);
});
