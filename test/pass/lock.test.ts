import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTmpDir } from '../support/tmp.js';
import { readWorkLog, startWorker, waitForEvents } from './process-helpers.js';

describe('stage lock', () => {
  it('lets exactly one of 10 passes started at once do the work; the nine others exit 75 at once naming the holder', async () => {
    const workDir = makeTmpDir();
    const workLog = path.join(workDir, 'work.log');
    const runs = [101, 102, 103];
    const workers = Array.from({ length: 10 }, () => startWorker({ workDir, workLog, runs, sleepMs: 1500, concurrency: 3 }));
    const results = await Promise.all(workers.map((w) => w.done));
    const winners = results.filter((r) => r.code === 0);
    const busy = results.filter((r) => r.code === 75);
    expect(winners).toHaveLength(1);
    expect(busy).toHaveLength(9);
    for (const r of busy) {
      expect(r.stderr).toMatch(/another pass holds the lock .*test-stage\.lock \(host \S+, pid \d+, since \d{4}-/);
      // From the start of the pass (after module loading) to exit, measured in the contender: it does not wait for the holder.
      expect(r.innerMs!).toBeLessThan(1000);
    }
    const events = readWorkLog(workLog);
    expect(events.filter((e) => e.event === 'end').map((e) => e.run).sort()).toEqual(runs);
    expect(new Set(events.map((e) => e.pid)).size).toBe(1);
    console.log(`lock contention: contenders exited 75 after ${busy.map((r) => Math.round(r.innerMs!)).sort((a, b) => a - b).join(', ')} ms (pass start to exit), ${busy.map((r) => Math.round(r.wallMs)).sort((a, b) => a - b).join(', ')} ms (spawn to exit)`);
  }, 60_000);

  it('takes over the lock of a SIGKILLed holder only after the stale period, and logs the takeover', async () => {
    const workDir = makeTmpDir();
    const workLog = path.join(workDir, 'work.log');
    const holder = startWorker({ workDir, workLog, runs: [1], sleepMs: 60_000, staleS: 3, updateS: 1 });
    await waitForEvents(workLog, 'start', 1);
    holder.child.kill('SIGKILL');
    await holder.done;
    // Staleness counts from the lock folder's mtime, which proper-lockfile sets up to 1 s ahead at acquisition (the
    // next whole second + 5 ms, its mtime-precision probe): wait from that mtime, not from the kill.
    const lockMtime = fs.statSync(path.join(workDir, 'locks', 'test-stage.lock')).mtimeMs;
    // Right after the kill the lock is still fresh: a new pass must not steal it.
    const early = await startWorker({ workDir, workLog, runs: [1], staleS: 3, updateS: 1 }).done;
    expect(early.code).toBe(75);
    await new Promise((r) => setTimeout(r, Math.max(0, lockMtime + 3500 - Date.now())));
    const late = await startWorker({ workDir, workLog, runs: [1], staleS: 3, updateS: 1 }).done;
    expect(late.code).toBe(0);
    expect(late.stderr).toMatch(/took over a stale lock/);
    expect(readWorkLog(workLog).filter((e) => e.event === 'end').map((e) => e.run)).toEqual([1]);
  }, 60_000);

  it('a contender never makes the holder stop or disturbs its lock', async () => {
    const workDir = makeTmpDir();
    const workLog = path.join(workDir, 'work.log');
    const runs = [1, 2, 3, 4];
    const holder = startWorker({ workDir, workLog, runs, sleepMs: 700, concurrency: 1, staleS: 2, updateS: 1 });
    await waitForEvents(workLog, 'start', 1);
    const lockDir = path.join(workDir, 'locks', 'test-stage.lock');
    const before = fs.statSync(lockDir).ino;
    const contenders = await Promise.all(Array.from({ length: 6 }, () => startWorker({ workDir, workLog, runs, staleS: 2, updateS: 1 }).done));
    expect(contenders.every((c) => c.code === 75)).toBe(true);
    expect(fs.statSync(lockDir).ino).toBe(before);
    const result = await holder.done;
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/lost the lock/);
    expect(readWorkLog(workLog).filter((e) => e.event === 'end').map((e) => e.run)).toEqual(runs);
    expect(fs.existsSync(lockDir)).toBe(false);
  }, 60_000);
});
