// `daqflow serve` on MongoDB (the real driver against the wire-level test server): run starts for start/end,
// the runs API, and the heartbeat plus microstrax's liveness document in the monitor collection.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { memoryLogger } from '../../src/log/index.js';
import { openRunStore, type RunStore } from '../../src/rundb/index.js';
import { startServe, type RunningServer } from '../../src/serve/run-serve.js';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { MongoWireServer } from '../support/mongo-wire-server.js';
import { RUN_START, serveWorld, worldConfig, type ServeWorld } from './helpers.js';

let wire: MongoWireServer;
let world: ServeWorld;
let store: RunStore;
let server: RunningServer;

beforeAll(async () => {
  wire = await MongoWireServer.start();
  world = await serveWorld({ peaks: 50, hits: 50 });
  const config = worldConfig(world, ['rundb.backend=mongo', `rundb.uri=${wire.uri}`, 'rundb.database=serve_test', 'serve.heartbeat_s=60']);
  store = await openRunStore(config);
  await store.upsertRun({ number: 12100, name: '012100', start: RUN_START });
  await store.upsertRun({ number: 12101, name: '012101', start: RUN_START });
  await store.updateStage(12101, 'process', { set: { state: 'failed', reason: 'mongo failure' } });
  server = await startServe({ config, logger: memoryLogger() });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await store?.close();
  await wire?.stop();
});

test('start and end count from the run start stored in MongoDB', async () => {
  const text = await (await fetch(`${server.url}/get_data?run_id=012100&target=peaks&start=1.01&end=1.02&max_n=0`)).text();
  const times = [...text.matchAll(/"time":(\d+)/g)].map((m) => BigInt(m[1]!));
  const view = new RecordView(world.peaks.layout, world.peaks.rows);
  expect(times).toEqual(Array.from({ length: 10 }, (_, i) => view.time(10 + i)));
});

test('the runs API reads MongoDB', async () => {
  const list = (await (await fetch(`${server.url}/api/runs?state=failed`)).json()) as { runs: { run: number; reason: string }[] };
  expect(list.runs).toEqual([expect.objectContaining({ run: 12101, reason: 'mongo failure' })]);
  const doc = (await (await fetch(`${server.url}/api/runs/012100`)).json()) as { number: number; start: string };
  expect(doc).toMatchObject({ number: 12100, start: RUN_START.toISOString() });
});

test('the heartbeat and the liveness document are in MongoDB while serving', async () => {
  expect(await store.listHosts()).toContainEqual(expect.objectContaining({ host: 'serve-host', command: 'serve', state: 'serving', url: server.url }));
  expect(await store.listMonitorSamples()).toContainEqual(expect.objectContaining({ host: 'serve-host', state: 'hosting microstrax', pid: process.pid }));
});
