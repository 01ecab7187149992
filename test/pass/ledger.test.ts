import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { Ledger, LEDGER_FORMAT } from '../../src/pass/ledger.js';
import { RetryPolicy } from '../../src/pass/retry.js';
import { selectCandidates } from '../../src/pass/selection.js';
import { configSchema } from '../../src/config/schema.js';
import { makeTmpDir } from '../support/tmp.js';

const retry = configSchema.parse({}).retry;

/** A seeded PRNG (mulberry32) so a failing sequence can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The definition, computed by brute force: largest N such that every existing run ≤ N is done. */
function bruteForceMarker(source: number[], done: Set<number>): number | null {
  let marker: number | null = null;
  for (const run of [...source].sort((a, b) => a - b)) {
    if (!done.has(run)) break;
    marker = run;
  }
  return marker;
}

describe('ledger contiguity', () => {
  it('keeps last_contiguous_run equal to the largest run below which every existing run is done, over random sequences with gaps', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = prng(seed);
      const stateDir = makeTmpDir();
      // Source runs with random gaps, not starting at 0 or 1.
      const source: number[] = [];
      let next = 5000 + Math.floor(random() * 1000);
      const nRuns = 5 + Math.floor(random() * 40);
      for (let i = 0; i < nRuns; i++) {
        source.push(next);
        next += 1 + Math.floor(random() * 4);
      }
      let ledger = Ledger.empty(stateDir, 'import');
      const done = new Set<number>();
      const policy = new RetryPolicy(retry, random);
      for (let step = 0; step < 120; step++) {
        const run = source[Math.floor(random() * source.length)]!;
        const now = new Date(1_790_000_000_000 + step * 1000);
        if (random() < 0.35 && !done.has(run)) {
          ledger.markFailed(run, 'broken', policy.afterFailure(ledger.failure(run)?.n_failures ?? 0, now), now);
        } else {
          ledger.markDone(run, source, now);
          done.add(run);
        }
        if (random() < 0.2) {
          ledger.save();
          ledger = Ledger.load(stateDir, 'import');
        }
        const expected = bruteForceMarker(source, done);
        expect(ledger.lastContiguousRun, `seed ${seed} step ${step}`).toBe(expected);
        for (const r of ledger.doneAbove) expect(expected === null || r > expected).toBe(true);
        for (const r of source) expect(ledger.isDone(r), `seed ${seed} run ${r}`).toBe(done.has(r));
        for (const r of done) expect(ledger.failure(r)).toBeUndefined();
      }
    }
    // About 4 800 fsynced saves: on two shared cores this takes over a minute; the limit is a hang guard, not a goal.
  }, 240_000);

  it('starts at the lowest existing run and is not blocked by numbers that never existed', () => {
    const ledger = Ledger.empty(makeTmpDir(), 'migrate');
    const source = [12100, 12103, 12110];
    ledger.markDone(12103, source, new Date());
    expect(ledger.lastContiguousRun).toBeNull();
    expect(ledger.doneAbove).toEqual([12103]);
    ledger.markDone(12100, source, new Date());
    expect(ledger.lastContiguousRun).toBe(12103);
    expect(ledger.doneAbove).toEqual([]);
  });

  it('writes exactly the contract format and keeps the previous version as .bak', () => {
    const stateDir = makeTmpDir();
    const ledger = Ledger.empty(stateDir, 'import');
    const source = [12099, 12100, 12101, 12102];
    ledger.markDone(12099, source, new Date('2026-11-21T06:00:00Z'));
    ledger.save();
    ledger.markDone(12101, source, new Date('2026-11-21T06:00:01Z'));
    ledger.markDone(12102, source, new Date('2026-11-21T06:00:02Z'));
    ledger.markFailed(12100, 'md5 mismatch', { nFailures: 2, nextRetry: new Date('2026-11-21T06:25:00Z'), gaveUp: false }, new Date('2026-11-21T06:00:03Z'));
    ledger.save();
    const written = JSON.parse(fs.readFileSync(path.join(stateDir, 'import.json'), 'utf8'));
    expect(written).toEqual({
      format: LEDGER_FORMAT,
      stage: 'import',
      last_contiguous_run: 12099,
      done_above: [12101, 12102],
      failed: { '12100': { n_failures: 2, reason: 'md5 mismatch', last_attempt: '2026-11-21T06:00:03.000Z', next_retry: '2026-11-21T06:25:00.000Z' } },
      updated_at: '2026-11-21T06:00:03.000Z',
    });
    const backup = JSON.parse(fs.readFileSync(path.join(stateDir, 'import.json.bak'), 'utf8'));
    expect(backup.last_contiguous_run).toBe(12099);
    expect(backup.done_above).toEqual([]);
  });

  it('refuses a corrupt ledger with exit 3, naming the file and its .bak, and leaves it untouched', () => {
    const stateDir = makeTmpDir();
    const file = path.join(stateDir, 'import.json');
    for (const text of ['{"format": "daqflow-ledger/1", "stage": "imp', '{"format":"other"}', '[]', '']) {
      fs.writeFileSync(file, text);
      let error: unknown;
      try {
        Ledger.load(stateDir, 'import');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).exitCode).toBe(3);
      expect((error as ConfigError).shortMessage).toContain(file);
      expect((error as ConfigError).shortMessage).toContain('restore import.json.bak');
      expect(fs.readFileSync(file, 'utf8')).toBe(text);
    }
  });
});

describe('candidate selection', () => {
  const source = [10, 11, 12, 13, 14, 15];
  const now = new Date('2026-11-21T06:00:00Z');
  function ledgerWithHistory(): Ledger {
    const ledger = Ledger.empty(makeTmpDir(), 'import');
    ledger.markDone(10, source, now);
    ledger.markDone(11, source, now);
    ledger.markDone(14, source, now);
    ledger.markFailed(12, 'due', { nFailures: 1, nextRetry: new Date('2026-11-21T05:59:00Z'), gaveUp: false }, now);
    ledger.markFailed(13, 'later', { nFailures: 2, nextRetry: new Date('2026-11-21T07:00:00Z'), gaveUp: false }, now);
    return ledger;
  }

  it('incremental considers runs above the marker that are not done, and failed runs whose retry is due', () => {
    const selection = selectCandidates({ mode: 'incremental', ledger: ledgerWithHistory(), sourceRuns: source, now });
    expect(selection.candidates).toEqual([{ run: 12, nFailuresBefore: 1 }, { run: 15, nFailuresBefore: 0 }]);
    expect(selection.waiting.map((w) => w.run)).toEqual([13]);
  });

  it('retry-failed considers only failed runs, due or not', () => {
    const selection = selectCandidates({ mode: 'retry-failed', ledger: ledgerWithHistory(), sourceRuns: source, now });
    expect(selection.candidates.map((c) => c.run)).toEqual([12, 13]);
  });

  it('full passes also pick up runs below the marker that the destination lacks, and respect the batch cap', () => {
    const ledger = ledgerWithHistory();
    const late = [9, ...source];
    const destinationRuns = new Set([10, 11, 14, 15]);
    const full = selectCandidates({ mode: 'full', ledger, sourceRuns: late, destinationRuns, now });
    expect(full.candidates.map((c) => c.run)).toEqual([9, 12]);
    const capped = selectCandidates({ mode: 'full', ledger, sourceRuns: late, destinationRuns, now, batchSize: 1 });
    expect(capped.candidates.map((c) => c.run)).toEqual([9]);
    // An incremental pass only looks above the marker (11), so the late run 9 waits for a full pass.
    const incremental = selectCandidates({ mode: 'incremental', ledger, sourceRuns: late, now });
    expect(incremental.candidates.map((c) => c.run)).toEqual([12, 15]);
  });
});

describe('retry policy', () => {
  it('waits 60 s × U(0.5,1.5) × 5^min(n,3) and gives up after 10 failures', () => {
    const now = new Date(0);
    const low = new RetryPolicy(retry, () => 0);
    const high = new RetryPolicy(retry, () => 0.999999);
    const expectedMinutes = [1, 5, 25, 125, 125, 125, 125, 125, 125];
    expectedMinutes.forEach((minutes, n) => {
      expect(low.afterFailure(n, now).nextRetry!.getTime()).toBe(minutes * 60_000 * 0.5);
      const highMs = high.afterFailure(n, now).nextRetry!.getTime();
      expect(Math.abs(highMs - minutes * 60_000 * 1.5) / (minutes * 60_000 * 1.5)).toBeLessThan(1e-4);
    });
    const last = low.afterFailure(9, now);
    expect(last).toEqual({ nFailures: 10, nextRetry: null, gaveUp: true });
  });
});

describe('ledger crash safety', () => {
  it('never leaves an unreadable ledger when the writer is SIGKILLed mid-write (100 kills)', async () => {
    const stateDir = makeTmpDir();
    const script = path.resolve('test/pass/fixtures/ledger-writer.mjs');
    let kills = 0;
    for (let i = 0; i < 100; i++) {
      const child = spawn(process.execPath, [script, stateDir], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 2 + Math.random() * 25));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      kills++;
      const ledger = Ledger.load(stateDir, 'crash');
      expect(ledger.stage).toBe('crash');
      const leftovers = fs.readdirSync(stateDir).filter((f) => !['crash.json', 'crash.json.bak'].includes(f));
      // A temp file from the killed write may remain; it is never mistaken for the ledger.
      for (const f of leftovers) expect(f).toMatch(/^\.crash\.json\.\d+\.\d+\.tmp$/);
    }
    expect(kills).toBe(100);
    expect(Ledger.load(stateDir, 'crash').doneAbove.length + (Ledger.load(stateDir, 'crash').lastContiguousRun ?? 0)).toBeGreaterThan(0);
  }, 180_000);
});
