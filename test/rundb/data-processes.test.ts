// Concurrent addData from 10 OS processes (compiled dist/ code) on one run: every entry once, other software's entry untouched.
import { fileURLToPath } from 'node:url';
import { Long } from 'mongodb';
import { describe, expect, test } from 'vitest';
import { initRunsDb } from '../../src/rundb/db-init.js';
import { openRunStore } from '../../src/rundb/index.js';
import { makeTmpDir } from '../support/tmp.js';
import { makeConfig } from './backends.js';
import { raceWorkers, wireServerForWorkers } from './processes.js';

const WORKER = fileURLToPath(new URL('./fixtures/data-worker.mjs', import.meta.url));
const N_PROCESSES = 10;
const N_ENTRIES = 8;
const RUN = 12100;

async function checkAllThere(rundb: Record<string, unknown>, foreign: Record<string, unknown>): Promise<void> {
  const workDir = makeTmpDir('daqflow-data-');
  const config = makeConfig(workDir, rundb as never);
  await initRunsDb(config);
  const store = await openRunStore(config);
  await store.upsertRun({ number: RUN, name: '012100', data: [foreign as never] });
  const results = await raceWorkers<{ host: string; added: string[] }>(WORKER, N_PROCESSES, (i) => [
    JSON.stringify({ work_dir: workDir, rundb }),
    `eb${i}`,
    String(RUN),
    String(N_ENTRIES),
  ]);
  expect(results.flatMap((r) => r.added)).toHaveLength(N_PROCESSES * N_ENTRIES);
  const data = (await store.getRun(RUN))!.data!;
  const own = data.filter((e) => e.host.startsWith('eb')).map((e) => `${e.host}/${e.type}`);
  expect(new Set(own).size).toBe(N_PROCESSES * N_ENTRIES);
  expect(own).toHaveLength(N_PROCESSES * N_ENTRIES);
  const shared = data.filter((e) => e.type === 'shared');
  expect(shared).toHaveLength(1);
  // Whichever write came last wins: it is one of the workers' writes.
  expect(results.map((r) => r.host)).toContain(shared[0]!.writer);
  expect(shared[0]!.n_chunks).toBeGreaterThanOrEqual(0);
  expect(shared[0]!.n_chunks).toBeLessThan(N_ENTRIES);
  expect(data[0]).toEqual({ ...foreign, ...(foreign.file_count ? { file_count: Number(foreign.file_count) } : {}) });
  expect(data).toHaveLength(N_PROCESSES * N_ENTRIES + 2);
  await store.close();
}

describe('addData from 10 processes at once', () => {
  const server = wireServerForWorkers();

  test('sqlite: every entry is recorded once and the shared entry stays one entry', async () => {
    await checkAllThere({ backend: 'sqlite', busy_timeout_ms: 20_000 }, { type: 'raw_records', host: 'rucio-catalogue', location: 'UC_DALI_USERDISK', did: 'xnt_012100:raw_records-x' });
  });

  test('mongo through the wire server in latency mode: the same, and the int64 entry of other software keeps its type', async () => {
    server().setLatency({ minMs: 0, maxMs: 4 });
    try {
      await checkAllThere({ backend: 'mongo', uri: server().uri, database: 'data_race' }, { type: 'raw_records', host: 'rucio-catalogue', location: 'UC_DALI_USERDISK', file_count: Long.fromNumber(12) });
    } finally {
      server().setLatency(null);
    }
    const stored = server().state.collection('data_race', 'runs')!.docs[0]!;
    expect(stored.data[0].file_count._bsontype).toBe('Long');
  });
});
