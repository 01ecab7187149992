// The mongo backend beyond the contract: indexes, foreign documents left alone, URI handling, credentials, error mapping.
import fs from 'node:fs';
import path from 'node:path';
import { MongoClient, ObjectId, type Document } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, InternalError, ServiceUnavailableError } from '../../src/errors.js';
import { memoryLogger } from '../../src/log/index.js';
import { openRunStore, type RunStore } from '../../src/rundb/index.js';
import { initRunsDb } from '../../src/rundb/db-init.js';
import { execa } from 'execa';
import { MongoWireServer } from '../support/mongo-wire-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { makeConfig, type RundbOverrides } from './backends.js';

let wire: MongoWireServer;
let raw: MongoClient;
let dbCounter = 0;
const stores: RunStore[] = [];

beforeAll(async () => {
  wire = await MongoWireServer.start();
  raw = new MongoClient(wire.uri);
  await raw.connect();
});
afterAll(async () => {
  await raw.close();
  await wire.close();
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  if (!wire.running) await wire.restart();
});

function config(rundb: RundbOverrides = {}) {
  return makeConfig(makeTmpDir('daqflow-mongo-'), { backend: 'mongo', uri: wire.uri, database: `m${dbCounter++}`, connect_timeout_ms: 800, ...rundb });
}

async function open(rundb: RundbOverrides = {}, logger = memoryLogger()) {
  const cfg = config(rundb);
  const store = await openRunStore(cfg, { logger });
  stores.push(store);
  return { store, cfg, db: raw.db(cfg.rundb.database), logger };
}

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'daqflow.js');

/** The built CLI as a child process, asynchronously (the wire server runs in this process and must keep answering). */
async function runCli(args: string[]): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [BIN, ...args], { reject: false, env: { DAQFLOW_CONFIG: undefined }, timeout: 60_000 });
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('daqflow db init and the check at open', () => {
  test('db init creates the unique number index, per-stage state indexes and the capped monitor collection; a second run only finds them', async () => {
    const cfg = config({ collections: { runs: 'xe_runs' } });
    const first = await initRunsDb(cfg);
    expect(first.report.problems).toEqual([]);
    expect(first.report.created).toContain('unique index {"number":1} on xe_runs');
    const db = raw.db(cfg.rundb.database);
    const indexes = await db.collection('xe_runs').listIndexes().toArray();
    expect(indexes.find((i) => i.name === 'number_1')).toMatchObject({ key: { number: 1 }, unique: true });
    expect(indexes.map((i) => i.key)).toContainEqual({ 'daqflow.process.state': 1, 'daqflow.process.next_retry': 1 });
    expect(indexes.map((i) => i.key)).toContainEqual({ 'daqflow.migrate.state': 1, 'daqflow.migrate.next_retry': 1 });
    expect((await db.collection('daqflow_hosts').listIndexes().toArray()).find((i) => i.unique)?.key).toEqual({ host: 1, command: 1 });
    const [monitor] = await db.listCollections({ name: 'daqflow_monitor' }).toArray();
    expect(monitor).toMatchObject({ options: { capped: true, size: 64 * 1024 * 1024 } });
    const second = await initRunsDb(cfg);
    expect(second.report.created).toEqual([]);
    expect(second.report.ok).toHaveLength(first.report.created.length);
  });

  test('opening a store creates nothing and warns once with what to run', async () => {
    const cfg = config();
    const logger = memoryLogger();
    stores.push(await openRunStore(cfg, { logger }));
    expect(await raw.db(cfg.rundb.database).listCollections().toArray()).toEqual([]);
    const warnings = logger.messages('warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/missing unique index \{"number":1\} on runs, .*capped collection daqflow_monitor; run `daqflow db init` once/);
  });

  test('a user who may not list indexes gets one warning to ask for db init, and works on', async () => {
    const cfg = config();
    const logger = memoryLogger();
    wire.failNext(1, { command: 'listindexes', code: 13, codeName: 'Unauthorized', errmsg: 'not authorized on m to execute command listIndexes' });
    const store = await openRunStore(cfg, { logger });
    stores.push(store);
    expect(logger.messages('warn')).toEqual([expect.stringMatching(/could not check the indexes \(not authorized .*\); ask an administrator to run `daqflow db init`/)]);
    expect((await store.upsertRun({ number: 1 })).created).toBe(true);
  });

  test('a standalone server is worth a warning: it has no retryable writes', async () => {
    const standalone = await MongoWireServer.start({ standalone: true });
    try {
      const cfg = makeConfig(makeTmpDir('daqflow-mongo-'), { backend: 'mongo', uri: standalone.uri, database: 'alone', connect_timeout_ms: 800 });
      expect((await initRunsDb(cfg)).report.warnings).toEqual([expect.stringMatching(/standalone mongod, which has no retryable writes.*replica set/)]);
      const logger = memoryLogger();
      const store = await openRunStore(cfg, { logger });
      await store.close();
      expect(logger.messages('warn')).toEqual([expect.stringMatching(/standalone mongod/)]);
      expect((await initRunsDb(config())).report.warnings).toEqual([]);
    } finally {
      await standalone.close();
    }
  });

  test('a non-unique number index is reported as a risk of duplicate run documents, by db init and at open', async () => {
    const cfg = config();
    await raw.db(cfg.rundb.database).collection('runs').createIndex({ number: 1 }, { name: 'by_number' });
    const { report } = await initRunsDb(cfg);
    expect(report.problems).toEqual([expect.stringMatching(/unique index \{"number":1\} on runs exists as by_number but is not unique: concurrent upserts .* duplicate run documents/)]);
    const numberIndexes = (await raw.db(cfg.rundb.database).collection('runs').listIndexes().toArray()).filter((i) => 'number' in i.key);
    expect(numberIndexes).toEqual([expect.objectContaining({ name: 'by_number', key: { number: 1 } })]); // left as it was
    expect(numberIndexes[0]!.unique).toBeUndefined();
    const logger = memoryLogger();
    stores.push(await openRunStore(cfg, { logger }));
    expect(logger.messages('warn').join('\n')).toMatch(/by_number but is not unique: concurrent upserts/);
  });

  test('the CLI: daqflow db init exits 0 and reports what it created; a conflict exits 3 naming it', async () => {
    const cfg = config();
    const file = path.join(cfg.work_dir, 'config.yaml');
    fs.writeFileSync(file, `work_dir: ${cfg.work_dir}\nrundb:\n  uri: "${wire.uri}"\n  database: ${cfg.rundb.database}\n  connect_timeout_ms: 800\n`);
    const ok = await runCli(['db', 'init', '--config', file, '--json']);
    expect(ok.exitCode).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ backend: 'mongo', created: expect.arrayContaining(['unique index {"number":1} on runs']) });
    await raw.db(cfg.rundb.database).collection('daqflow_monitor').drop();
    await raw.db(cfg.rundb.database).createCollection('daqflow_monitor');
    const conflict = await runCli(['db', 'init', '--config', file]);
    expect(conflict.exitCode).toBe(3);
    expect(conflict.stderr).toMatch(/collection daqflow_monitor exists but is not capped/);
  });
});

describe('documents written by other software', () => {
  test('claims and stage updates touch only the state sub-document; other runs are not rewritten', async () => {
    const { store, db } = await open();
    const foreign = (n: number): Document => ({
      _id: new ObjectId(),
      number: n,
      name: String(n).padStart(6, '0'),
      start: new Date('2021-07-01T00:00:00Z'),
      mode: 'tpc_commissioning',
      tags: [{ name: '_sciencerun0', date: new Date('2021-07-02T00:00:00Z') }],
      data: [{ type: 'live', host: 'daq', location: '/live/012100', at: new Date('2021-07-01T01:00:00Z') }],
      bootstrax: { state: 'done', host: 'eb2' },
    });
    await db.collection('runs').insertMany([foreign(12100), foreign(12101)]);
    const before = await db.collection('runs').find().sort({ number: 1 }).toArray();
    await store.claimRun(12100, 'process', { from: ['pending'], to: 'claimed', host: 'eb1' });
    await store.updateStage(12100, 'process', { set: { state: 'submitted', job_id: '1234' } });
    const after = await db.collection('runs').find().sort({ number: 1 }).toArray();
    expect(after[1]).toEqual(before[1]);
    const { daqflow, ...rest } = after[0]!;
    expect(rest).toEqual(before[0]);
    expect(daqflow).toMatchObject({ process: { state: 'submitted', job_id: '1234', host: 'eb1' } });
  });
});

describe('configurable field names (rundb.fields)', () => {
  test('a collection with other names for number, name, data and deleted_data is read and written under those names', async () => {
    const fields = { number: 'run_number', name: 'run_name', data: 'datasets', deleted_data: 'removed' };
    const cfg = config({ fields });
    await initRunsDb(cfg);
    const store = await openRunStore(cfg);
    stores.push(store);
    const coll = raw.db(cfg.rundb.database).collection('runs');
    await coll.insertOne({ run_number: 12100, run_name: '012100', datasets: [{ type: 'live', host: 'daq', location: '/live' }], number: 'not ours' });
    expect(await store.getRun(12100)).toMatchObject({ number: 12100, name: '012100', data: [{ type: 'live' }] });
    expect((await store.claimNext('process', { from: ['pending'], to: 'claimed', host: 'h' }))?.number).toBe(12100);
    await store.addData(12100, { type: 'peaks', host: 'eb1', location: '/p' });
    await store.removeData(12100, { type: 'live' }, { by: 'x', reason: 'y' });
    await store.upsertRun({ number: 12101, name: '012101' });
    const doc = await coll.findOne({ run_number: 12100 }, { projection: { _id: 0 } });
    expect(Object.keys(doc!).sort()).toEqual(['daqflow', 'datasets', 'number', 'removed', 'run_name', 'run_number']);
    expect(doc!.number).toBe('not ours');
    expect(doc!.datasets).toEqual([expect.objectContaining({ type: 'peaks', protocol: 'FileSytemBackend' })]);
    expect(await coll.findOne({ run_number: 12101 }, { projection: { _id: 0 } })).toEqual({ run_number: 12101, run_name: '012101' });
    expect((await coll.listIndexes().toArray()).find((i) => i.unique)?.key).toEqual({ run_number: 1 });
  });
});

describe('connection string', () => {
  test('redactUri hides the password but keeps user, hosts and options', async () => {
    const { redactUri } = await import('../../src/rundb/mongo.js');
    expect(redactUri('mongodb://daq:p%40ss@db1:27017,db2:27017/xenonnt?authSource=admin')).toBe('mongodb://daq:***@db1:27017,db2:27017/xenonnt?authSource=admin');
    expect(redactUri('mongodb+srv://u:a@b/c@cluster.example.org/')).toBe('mongodb+srv://u:***@cluster.example.org/');
    expect(redactUri('mongodb://db1/?password=x1&w=1')).toBe('mongodb://db1/?password=***&w=1');
    expect(redactUri('mongodb://localhost:27017')).toBe('mongodb://localhost:27017');
  });

  test('rundb.uri_file readable by group or others is refused with a ConfigError saying chmod 600', async () => {
    const dir = makeTmpDir('daqflow-uri-');
    const file = path.join(dir, 'mongo.uri');
    fs.writeFileSync(file, `${wire.uri}\n`, { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const error = await openRunStore(config({ uri: null, uri_file: file })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).shortMessage).toBe(`rundb.uri_file: ${file} has mode 0644 but holds credentials; make it readable by its owner only: chmod 600 ${file}`);
    fs.chmodSync(file, 0o600);
    const store = await openRunStore(config({ uri: null, uri_file: file }));
    stores.push(store);
    expect(store.backend).toBe('mongo');
  });

  test('uri and uri_file together, or a string that is not a MongoDB URI, are ConfigErrors', async () => {
    await expect(openRunStore(config({ uri_file: '/nonexistent' }))).rejects.toThrow(/set either uri or uri_file, not both/);
    const error = await openRunStore(config({ uri: 'postgres://u:hunter22@x/y' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/rundb\.uri: .* is not a MongoDB connection string/);
    expect((error as Error).message).not.toContain('hunter22');
  });

  test('refused credentials are a ConfigError that never shows the password', async () => {
    const uri = `mongodb://daq:Sup3rS3cret@127.0.0.1:${wire.port}/?directConnection=true`;
    const error = await openRunStore(config({ uri })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).shortMessage).toMatch(/^rundb\.uri: MongoDB at 127\.0\.0\.1:\d+ refused the credentials/);
    expect(JSON.stringify({ m: (error as Error).message, c: (error as ConfigError).context })).not.toContain('Sup3rS3cret');
  });
});

describe('errors', () => {
  test('an unreachable server at open is ServiceUnavailableError (exit 4) naming the redacted host', async () => {
    const idle = await MongoWireServer.start();
    const port = idle.port;
    await idle.close();
    const started = Date.now();
    const error = await openRunStore(config({ uri: `mongodb://daq:Pw0rd123@127.0.0.1:${port}/?directConnection=true` })).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).exitCode).toBe(4);
    expect((error as Error).message).toMatch(new RegExp(`runs DB mongodb://127\\.0\\.0\\.1:${port}/m\\d+ is unreachable during connect: .*check that mongod is running`));
    expect((error as Error).message).not.toContain('Pw0rd123');
  });

  test('a server shutting down (code 91) is ServiceUnavailableError; a rejected command is InternalError', async () => {
    const { store } = await open();
    await store.upsertRun({ number: 1 });
    // Reads are retried once by the driver, so both attempts fail here.
    wire.failNext(2, { code: 91, codeName: 'ShutdownInProgress', errmsg: 'The server is in quiesce mode and will shut down' });
    await expect(store.getRun(1)).rejects.toBeInstanceOf(ServiceUnavailableError);
    wire.failNext(1, { code: 91, codeName: 'ShutdownInProgress', errmsg: 'The server is in quiesce mode and will shut down' });
    await expect(store.updateStage(1, 'process', { set: { state: 'done' } })).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(await store.getRun(1)).toEqual({ number: 1 });
    wire.failNext(1, { code: 2, codeName: 'BadValue', errmsg: 'bad thing' });
    const error = await store.claimRun(1, 'process', { from: ['pending'], to: 'claimed', host: 'h' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalError);
    expect((error as Error).message).toMatch(/rejected claimRun: bad thing \(code 2\)/);
  });
});
