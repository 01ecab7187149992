import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTmpDir } from '../support/tmp.js';
import { readWorkLog, startWorker, waitForEvents } from './process-helpers.js';

describe('signals during a pass', () => {
  it('SIGTERM finishes in-flight runs, saves them, exits 143, and the next pass does not redo them', async () => {
    const workDir = makeTmpDir();
    const workLog = path.join(workDir, 'work.log');
    const runs = [201, 202, 203, 204, 205, 206];
    const first = startWorker({ workDir, workLog, runs, sleepMs: 1500, concurrency: 2 });
    await waitForEvents(workLog, 'start', 2);
    first.child.kill('SIGTERM');
    const result = await first.done;
    expect(result.code).toBe(143);
    const firstEvents = readWorkLog(workLog);
    expect(firstEvents.filter((e) => e.event === 'start').map((e) => e.run)).toEqual([201, 202]);
    expect(firstEvents.filter((e) => e.event === 'end').map((e) => e.run).sort()).toEqual([201, 202]);
    const ledger = JSON.parse(fs.readFileSync(path.join(workDir, 'state', 'test-stage.json'), 'utf8'));
    expect(ledger.last_contiguous_run).toBe(202);

    const second = await startWorker({ workDir, workLog, runs, sleepMs: 10, concurrency: 2 }).done;
    expect(second.code).toBe(0);
    const secondStarts = readWorkLog(workLog).slice(firstEvents.length).filter((e) => e.event === 'start').map((e) => e.run);
    expect(secondStarts.sort()).toEqual([203, 204, 205, 206]);
  }, 60_000);

  it('SIGINT exits 130 after the drain', async () => {
    const workDir = makeTmpDir();
    const workLog = path.join(workDir, 'work.log');
    const worker = startWorker({ workDir, workLog, runs: [1, 2, 3], sleepMs: 800, concurrency: 1 });
    await waitForEvents(workLog, 'start', 1);
    worker.child.kill('SIGINT');
    const result = await worker.done;
    expect(result.code).toBe(130);
    expect(readWorkLog(workLog).filter((e) => e.event === 'end').map((e) => e.run)).toEqual([1]);
  }, 60_000);

  it('a second signal aborts in-flight runs; they stay undone while finished runs stay saved', async () => {
    const workDir = makeTmpDir();
    const workLog = path.join(workDir, 'work.log');
    const worker = startWorker({ workDir, workLog, runs: [301, 302, 303], sleepMs: 30_000, concurrency: 3 });
    await waitForEvents(workLog, 'start', 3);
    worker.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    worker.child.kill('SIGTERM');
    const result = await worker.done;
    expect(result.code).toBe(143);
    expect(result.wallMs).toBeLessThan(25_000);
    const summary = JSON.parse(result.stdout);
    expect(summary.aborted).toEqual([301, 302, 303]);
    expect(summary.failed).toEqual([]);
    const ledger = JSON.parse(fs.readFileSync(path.join(workDir, 'state', 'test-stage.json'), 'utf8'));
    expect(ledger.failed).toEqual({});
    expect(ledger.last_contiguous_run).toBeNull();
  }, 60_000);
});

describe('a corrupt ledger', () => {
  it('stops the pass with exit 3, names the file and recover-state, and touches nothing', async () => {
    const workDir = makeTmpDir();
    const workLog = path.join(workDir, 'work.log');
    const file = path.join(workDir, 'state', 'test-stage.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"format": "daqflow-ledger/1", "stage": "test-st');
    const result = await startWorker({ workDir, workLog, runs: [1, 2] }).done;
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`${file}: ledger is corrupt`);
    expect(result.stderr).toContain('restore test-stage.json.bak, or move the file aside');
    expect(result.stderr).not.toContain('recover-state');
    expect(readWorkLog(workLog)).toEqual([]);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"format": "daqflow-ledger/1", "stage": "test-st');
    expect(fs.existsSync(path.join(workDir, 'locks', 'test-stage.lock'))).toBe(false);
  }, 30_000);
});
