// Outages: MongoDB going away in the middle of a pass, and a runs.sqlite write-locked by another process.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ServiceUnavailableError } from '../../src/errors.js';
import { openRunStore, type RunStore } from '../../src/rundb/index.js';
import { MongoWireServer } from '../support/mongo-wire-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { makeConfig } from './backends.js';

const T0 = new Date('2026-11-21T06:00:00.000Z');
const claim = { from: ['pending', 'failed'] as const, to: 'claimed' as const, host: 'eb1' };

/**
 * Waits until a read through `store` gets through after the server came back; the driver reconnects by itself. An
 * attempt may fail (exit 4, like any failed pass) while the client's handshakes are under way; when the wait fails,
 * the value it shows is the last attempt's error.
 */
async function reachedAgain(store: RunStore): Promise<void> {
  const attempt = () => store.getRun(1).then(() => 'reached', (e: unknown) => (e as Error).message);
  await expect.poll(attempt, { timeout: 20_000, interval: 200 }).toBe('reached');
}

describe('MongoDB stops in the middle of a pass', () => {
  let wire: MongoWireServer;
  beforeAll(async () => {
    wire = await MongoWireServer.start();
  });
  afterAll(() => wire.close());

  test('the in-flight update fails with ServiceUnavailableError, nothing is half-written, and work resumes after restart', async () => {
    const config = makeConfig(makeTmpDir('daqflow-outage-'), { backend: 'mongo', uri: wire.uri, database: 'outage', connect_timeout_ms: 1000 });
    const store: RunStore = await openRunStore(config, { now: () => T0 });
    for (let n = 1; n <= 5; n++) await store.upsertRun({ number: n, mode: 'background' });

    // The pass: claim run 1, record its submission …
    await store.claimRun(1, 'process', { ...claim, from: ['pending'] });
    await store.updateStage(1, 'process', { set: { state: 'submitted', job_id: '77', scheduler: 'slurm' } });
    const beforeOutage = (await store.getRun(1))!;

    // … then the server dies while a multi-field update is in flight.
    wire.delayNext(1, 400);
    const inFlight = store
      .updateStage(1, 'process', { set: { state: 'running', job_id: '78', host: 'eb9' }, unset: ['scheduler'], incFailures: 1 })
      .catch((e: unknown) => e);
    await sleep(100);
    await wire.stop();
    const error = await inFlight;
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).exitCode).toBe(4);
    expect((error as Error).message).toMatch(new RegExp(`^runs DB mongodb://127\\.0\\.0\\.1:${wire.port}/outage \\(collection runs\\) is unreachable during updateStage: .*check that mongod is running`));

    // While it is down, the next operations fail fast and clearly instead of hanging.
    const started = Date.now();
    await expect(store.claimRun(2, 'process', claim)).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(store.listRuns({ stage: 'process', states: ['pending'] })).rejects.toThrow(/unreachable during listRuns/);
    expect(Date.now() - started).toBeLessThan(8000);

    await wire.restart();
    await reachedAgain(store);
    // Nothing half-written: run 1 is exactly as after the last successful write, and run 2 was not claimed.
    expect(await store.getRun(1)).toEqual(beforeOutage);
    expect((await store.getRun(2))!).toEqual({ number: 2, mode: 'background' });

    // The same store continues the pass, and so does a new one.
    expect(await store.claimRun(2, 'process', claim)).not.toBeNull();
    const fresh = await openRunStore(config, { now: () => T0 });
    expect((await fresh.claimNext('process', claim))?.number).toBe(3);
    expect(await fresh.countRuns({ stage: 'process', states: ['claimed'] })).toBe(2);
    await fresh.close();
    await store.close();
  });

  test('a restarted server that answers handshakes slower than rundb.connect_timeout_ms is still reached', async () => {
    // Ops fail fast (server selection within connect_timeout_ms) while the monitor's and the pool's handshakes may take
    // longer: on a loaded machine they did, every one was cut at connect_timeout_ms and the client never got back.
    const config = makeConfig(makeTmpDir('daqflow-outage-'), { backend: 'mongo', uri: wire.uri, database: 'slow-handshake', connect_timeout_ms: 300 });
    const store = await openRunStore(config);
    await store.upsertRun({ number: 1 });
    await wire.stop();
    await expect(store.getRun(1)).rejects.toBeInstanceOf(ServiceUnavailableError);
    wire.delayHandshakes(600);
    try {
      await wire.restart();
      await reachedAgain(store);
      expect(await store.getRun(1)).toEqual({ number: 1 });
    } finally {
      wire.delayHandshakes(0);
      await store.close();
    }
  });

  async function storeOn(database: string): Promise<RunStore> {
    const config = makeConfig(makeTmpDir('daqflow-outage-'), { backend: 'mongo', uri: wire.uri, database, connect_timeout_ms: 1000 });
    const store = await openRunStore(config, { now: () => T0 });
    await store.upsertRun({ number: 1 });
    return store;
  }
  const shuttingDown = { command: 'findandmodify', code: 91, codeName: 'ShutdownInProgress', errorLabels: ['RetryableWriteError'] };

  test('a claim whose reply is lost is retried by the driver and applied exactly once', async () => {
    const store = await storeOn('lost-reply');
    const retried = wire.retriedWrites;
    wire.dropAfterNext(1);
    const run = await store.claimRun(1, 'process', claim);
    expect(run).toMatchObject({ number: 1, daqflow: { process: { state: 'claimed', host: 'eb1' } } });
    expect(wire.retriedWrites).toBe(retried + 1);
    expect(await store.claimRun(1, 'process', { ...claim, host: 'eb2' })).toBeNull();
    await store.close();
  });

  test('a claim whose outcome stays unknown (the retry loses its reply too) is reconciled: the claim was applied', async () => {
    const store = await storeOn('unknown-applied');
    wire.dropAfterNext(2);
    const run = await store.claimRun(1, 'process', claim);
    expect(run).toMatchObject({ number: 1, daqflow: { process: { state: 'claimed', host: 'eb1' } } });
    expect((await store.getRun(1))!.daqflow).toEqual(run!.daqflow);
    await store.close();
  });

  test('a claim that never ran (both attempts refused) is reconciled as not applied: null, and the run stays pending', async () => {
    const store = await storeOn('unknown-not-applied');
    wire.failNext(2, shuttingDown);
    expect(await store.claimRun(1, 'process', claim)).toBeNull();
    expect(await store.getRun(1)).toEqual({ number: 1 });
    expect(await store.claimRun(1, 'process', claim)).not.toBeNull();
    await store.close();
  });

  test('a stage update refused twice fails clearly with exit 4; the next one works', async () => {
    const store = await storeOn('refused-update');
    wire.failNext(2, shuttingDown);
    const error = await store.updateStage(1, 'process', { set: { state: 'failed' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).exitCode).toBe(4);
    expect(await store.getRun(1)).toEqual({ number: 1 });
    expect(await store.updateStage(1, 'process', { set: { state: 'failed' } })).not.toBeNull();
    await store.close();
  });

  test('a stalled primary: an operation held up beyond rundb.op_timeout_ms fails with exit 4 instead of hanging', async () => {
    const config = makeConfig(makeTmpDir('daqflow-outage-'), { backend: 'mongo', uri: wire.uri, database: 'stalled', connect_timeout_ms: 1000, op_timeout_ms: 200 });
    const store = await openRunStore(config);
    await store.upsertRun({ number: 1 });
    wire.delayNext(1, 700);
    const error = await store.claimRun(1, 'process', claim).catch((e: unknown) => e);
    // The claim was never applied (the server gave up on it), so after reconciliation it is simply not claimed …
    expect(error).toBeNull();
    wire.delayNext(1, 700);
    // … and a read held up the same way is exit 4 naming the time limit.
    await expect(store.getRun(1)).rejects.toThrow(/unreachable during getRun: operation exceeded time limit.*rundb\.op_timeout_ms/);
    expect(await store.getRun(1)).toEqual({ number: 1 });
    await store.close();
  });

  test('a write-concern timeout and an exceeded time limit are exit 4 naming the timeout to raise', async () => {
    const store = await storeOn('too-slow');
    wire.failNext(1, { command: 'find', code: 50, codeName: 'MaxTimeMSExpired', errmsg: 'operation exceeded time limit' });
    await expect(store.getRun(1)).rejects.toThrow(/unreachable during getRun: operation exceeded time limit.*rundb\.op_timeout_ms/);
    wire.failNext(1, { command: 'findandmodify', code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out' });
    const error = await store.updateStage(1, 'process', { set: { state: 'failed' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    await store.close();
  });
});

describe('runs.sqlite locked by another process', () => {
  test('a write waits for the busy timeout, then fails with a clear ServiceUnavailableError; reads keep working', async () => {
    const config = makeConfig(makeTmpDir('daqflow-lock-'), { backend: 'sqlite', busy_timeout_ms: 300 });
    const store = await openRunStore(config);
    await store.upsertRun({ number: 1 });
    const holder = new Database(path.join(config.work_dir, 'runs.sqlite'));
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const started = Date.now();
      const error = await store.claimRun(1, 'process', claim).catch((e: unknown) => e);
      const waited = Date.now() - started;
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect((error as ServiceUnavailableError).exitCode).toBe(4);
      expect((error as Error).message).toMatch(/^runs\.sqlite is locked by another process for more than 300 ms \(claimRun on .*runs\.sqlite\)/);
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(3000);
      // WAL: readers are not blocked by the writer.
      expect(await store.getRun(1)).toEqual({ number: 1 });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(await store.claimRun(1, 'process', claim)).not.toBeNull();
    await store.close();
  });

  test('opening a new database while another process holds the write lock fails the same way', async () => {
    const config = makeConfig(makeTmpDir('daqflow-lock-'), { backend: 'sqlite', busy_timeout_ms: 200 });
    const holder = new Database(path.join(config.work_dir, 'runs.sqlite'));
    holder.pragma('journal_mode = WAL');
    holder.exec('BEGIN EXCLUSIVE');
    try {
      await expect(openRunStore(config)).rejects.toThrow(/runs\.sqlite is locked by another process for more than 200 ms \(open on /);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });
});
