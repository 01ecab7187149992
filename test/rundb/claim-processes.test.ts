// Atomic claims across OS processes: 20 children (compiled dist/ code) race for 200 pending runs; each run is claimed once.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openRunStore } from '../../src/rundb/index.js';
import { MongoWireServer } from '../support/mongo-wire-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { makeConfig } from './backends.js';

const WORKER = fileURLToPath(new URL('./fixtures/claim-worker.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/rundb/index.js', import.meta.url));
const N_PROCESSES = 20;
const N_RUNS = 200;

interface WorkerResult {
  host: string;
  claimed: number[];
}

/**
 * Starts every worker, releases them together once all are connected, and collects what each claimed.
 * A worker's result is read on 'close', not 'exit': 'exit' can fire before the parent has read the last line from the
 * child's stdout pipe (seen on a loaded CI machine), which made JSON.parse('') throw inside the listener and hang the test.
 * Any worker failure kills the others and rejects with that worker's stderr.
 */
async function race(rundb: Record<string, unknown>, workDir: string): Promise<WorkerResult[]> {
  const children = Array.from({ length: N_PROCESSES }, (_, i) =>
    spawn(process.execPath, [WORKER, JSON.stringify({ work_dir: workDir, rundb }), `host${i}`, i % 2 ? 'next' : 'list'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  const outputs = children.map((child, i) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const failure = (what: string) => new Error(`worker host${i} ${what}; stdout: ${JSON.stringify(out)}; stderr: ${err || '(empty)'}`);
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => out.includes('ready\n') && resolve());
      child.once('error', (e) => reject(failure(`could not start: ${e.message}`)));
      child.once('close', (code, signal) => reject(failure(`ended (code ${code}, signal ${signal}) before ready`)));
    });
    const done = new Promise<WorkerResult>((resolve, reject) =>
      child.once('close', (code, signal) => {
        if (code !== 0) return reject(failure(`ended with code ${code}, signal ${signal}`));
        const line = out.split('\n')[1] ?? '';
        try {
          resolve(JSON.parse(line) as WorkerResult);
        } catch {
          reject(failure('exited 0 without a result line'));
        }
      }),
    );
    return { ready, done };
  });
  try {
    await Promise.all(outputs.map((o) => o.ready));
    for (const child of children) child.stdin.end('go\n');
    return await Promise.all(outputs.map((o) => o.done));
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // Rejections of workers killed above are already accounted for by the first failure.
    for (const o of outputs) {
      o.ready.catch(() => {});
      o.done.catch(() => {});
    }
  }
}

async function checkExactlyOnce(rundb: Record<string, unknown>): Promise<void> {
  const workDir = makeTmpDir('daqflow-claims-');
  const config = makeConfig(workDir, rundb as never);
  const store = await openRunStore(config);
  for (let n = 1; n <= N_RUNS; n++) await store.upsertRun({ number: 10_000 + n, name: String(10_000 + n).padStart(6, '0') });
  const results = await race(rundb, workDir);
  const all = results.flatMap((r) => r.claimed);
  expect(all).toHaveLength(N_RUNS);
  expect(new Set(all).size).toBe(N_RUNS);
  expect(results.filter((r) => r.claimed.length > 0).length).toBeGreaterThan(1);
  const owner = new Map(results.flatMap((r) => r.claimed.map((n) => [n, r.host] as const)));
  const runs = await store.listRuns();
  expect(runs).toHaveLength(N_RUNS);
  for (const run of runs) {
    expect(run[store.stateField]).toMatchObject({ process: { state: 'claimed', host: owner.get(run.number) } });
  }
  await store.close();
}

describe('atomic claims across 20 processes', () => {
  let wire: MongoWireServer;
  beforeAll(async () => {
    if (!fs.existsSync(DIST)) throw new Error(`${DIST} is missing: build with npx tsc -p tsconfig.json first`);
    wire = await MongoWireServer.start();
  });
  afterAll(() => wire.close());

  test('sqlite: every one of 200 pending runs is claimed exactly once', async () => {
    await checkExactlyOnce({ backend: 'sqlite', busy_timeout_ms: 20_000 });
  });

  test('mongo through the wire server: every one of 200 pending runs is claimed exactly once', async () => {
    await checkExactlyOnce({ backend: 'mongo', uri: wire.uri, database: 'claims' });
    expect(wire.commandCounts.get('findandmodify')).toBeGreaterThanOrEqual(N_RUNS);
  });
});
