// Atomic claims across OS processes: 20 children (compiled dist/ code) race for 200 pending runs; each run is claimed once.
// The workers race in lockstep rounds (each one attempt per round, all released together): free-running, one process
// could claim all 200 before the others had started on a loaded machine, and the test proved nothing about contention.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { openRunStore } from '../../src/rundb/index.js';
import { makeTmpDir } from '../support/tmp.js';
import { makeConfig } from './backends.js';
import { lockstepWorkers, wireServerForWorkers } from './processes.js';

const WORKER = fileURLToPath(new URL('./fixtures/claim-worker.mjs', import.meta.url));
const N_PROCESSES = 20;
const N_RUNS = 200;

interface WorkerResult {
  host: string;
  claimed: number[];
}

async function checkExactlyOnce(rundb: Record<string, unknown>): Promise<void> {
  const workDir = makeTmpDir('daqflow-claims-');
  const config = makeConfig(workDir, rundb as never);
  const store = await openRunStore(config);
  for (let n = 1; n <= N_RUNS; n++) await store.upsertRun({ number: 10_000 + n, name: String(10_000 + n).padStart(6, '0') });
  const { results, rounds } = await lockstepWorkers<WorkerResult>(WORKER, N_PROCESSES, (i) => [JSON.stringify({ work_dir: workDir, rundb }), `host${i}`, i % 2 ? 'next' : 'list']);
  const all = results.flatMap((r) => r.claimed);
  expect(all).toHaveLength(N_RUNS);
  expect(new Set(all).size).toBe(N_RUNS);
  // The premise: the runs were contended. Every claimNext worker wins a run in each round while runs are left, so
  // all of them claimed some, over several rounds of 20 concurrent attempts.
  expect(results.filter((r) => r.claimed.length > 0).length).toBeGreaterThanOrEqual(N_PROCESSES / 2);
  expect(rounds).toBeGreaterThanOrEqual(N_RUNS / N_PROCESSES);
  const owner = new Map(results.flatMap((r) => r.claimed.map((n) => [n, r.host] as const)));
  const runs = await store.listRuns();
  expect(runs).toHaveLength(N_RUNS);
  for (const run of runs) {
    expect(run[store.stateField]).toMatchObject({ process: { state: 'claimed', host: owner.get(run.number) } });
  }
  await store.close();
}

describe('atomic claims across 20 processes', () => {
  const server = wireServerForWorkers();

  test('sqlite: every one of 200 pending runs is claimed exactly once', async () => {
    await checkExactlyOnce({ backend: 'sqlite', busy_timeout_ms: 20_000 });
  });

  test('mongo through the wire server: every one of 200 pending runs is claimed exactly once', async () => {
    await checkExactlyOnce({ backend: 'mongo', uri: server().uri, database: 'claims' });
    expect(server().commandCounts.get('findandmodify')).toBeGreaterThanOrEqual(N_RUNS);
  });
});
