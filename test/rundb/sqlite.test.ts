// The sqlite backend beyond the contract: file location (never a network file system), WAL, JSON storage, the indexed stage table, schema and state field, filter validation.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { chooseBackend, openRunStore } from '../../src/rundb/index.js';
import { SqliteRunStore } from '../../src/rundb/sqlite.js';
import { isNetworkFs, mountOf } from '../../src/rundb/sqlite-fs.js';
import { makeTmpDir } from '../support/tmp.js';
import { makeConfig } from './backends.js';

describe('openRunStore', () => {
  test('auto picks mongo only when a uri or uri_file is configured', () => {
    const base = makeConfig('/w').rundb;
    expect(chooseBackend(base)).toBe('sqlite');
    expect(chooseBackend({ ...base, uri: 'mongodb://db1' })).toBe('mongo');
    expect(chooseBackend({ ...base, uri_file: '/etc/daqflow/mongo.uri' })).toBe('mongo');
    expect(chooseBackend({ ...base, backend: 'sqlite', uri: 'mongodb://db1' })).toBe('sqlite');
  });

  test('the default file is <work_dir>/runs.sqlite in WAL mode; rundb.sqlite_path overrides it', async () => {
    const work = makeTmpDir('daqflow-sqlite-');
    const store = await openRunStore(makeConfig(work));
    expect(store.backend).toBe('sqlite');
    expect(store.location).toBe(path.join(work, 'runs.sqlite'));
    await store.close();
    const db = new Database(path.join(work, 'runs.sqlite'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    const other = path.join(work, 'sub', 'dir', 'other.sqlite');
    const moved = await openRunStore(makeConfig(work, { sqlite_path: other }));
    expect(moved.location).toBe(other);
    expect(fs.existsSync(other)).toBe(true);
    await moved.close();
  });

  test('$text in the user filter is refused for sqlite with a ConfigError naming rundb.user_filter', async () => {
    const error = await openRunStore(makeConfig(makeTmpDir(), { user_filter: { $text: { $search: 'kr83m' } } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).context.option).toBe('rundb.user_filter');
    expect((error as Error).message).toMatch(/\$text needs a MongoDB server/);
  });

  test('Extended-JSON dates in the user filter compare with stored Dates', async () => {
    const store = await openRunStore(makeConfig(makeTmpDir(), { user_filter: { start: { $gte: { $date: '2026-01-01T00:00:00Z' } } } }));
    await store.upsertRun({ number: 1, start: new Date('2025-12-31T23:00:00Z') });
    await store.upsertRun({ number: 2, start: new Date('2026-01-01T01:00:00Z') });
    expect((await store.listRuns()).map((r) => r.number)).toEqual([2]);
    await store.close();
  });
});

describe('storage', () => {
  test('documents are JSON with Dates as {"$date": ISO}; run_stage mirrors state and next_retry', async () => {
    const work = makeTmpDir('daqflow-sqlite-');
    const store = await openRunStore(makeConfig(work));
    await store.upsertRun({ number: 5, start: new Date('2026-11-21T06:00:00.000Z') });
    await store.updateStage(5, 'process', { set: { state: 'failed', next_retry: new Date('2026-11-21T06:25:00.000Z') } });
    await store.updateStage(5, 'import', { set: { state: 'done' } });
    const db = new Database(path.join(work, 'runs.sqlite'), { readonly: true });
    const doc = JSON.parse((db.prepare('SELECT doc FROM runs WHERE number = 5').get() as { doc: string }).doc);
    expect(doc.start).toEqual({ $date: '2026-11-21T06:00:00.000Z' });
    expect(db.prepare('SELECT stage, state, next_retry FROM run_stage WHERE number = 5 ORDER BY stage').all()).toEqual([
      { stage: 'import', state: 'done', next_retry: null },
      { stage: 'process', state: 'failed', next_retry: Date.parse('2026-11-21T06:25:00.000Z') },
    ]);
    const plan = db
      .prepare("EXPLAIN QUERY PLAN SELECT number FROM run_stage WHERE stage = 'process' AND state IN ('failed') AND next_retry <= 0")
      .all()
      .map((r) => (r as { detail: string }).detail)
      .join(' ');
    expect(plan).toMatch(/run_stage_state/);
    db.close();
    await store.upsertRun({ number: 5, [store.stateField]: { process: { state: 'done' } } });
    expect((await store.listRuns({ stage: 'import', states: ['pending'] })).map((r) => r.number)).toEqual([5]);
    await store.close();
  });

  test('a row whose JSON number disagrees with its key is skipped with a warning', async () => {
    const work = makeTmpDir('daqflow-sqlite-');
    const { memoryLogger } = await import('../../src/log/index.js');
    const logger = memoryLogger();
    const store = await openRunStore(makeConfig(work), { logger });
    await store.upsertRun({ number: 1 });
    const db = new Database(path.join(work, 'runs.sqlite'));
    db.prepare('INSERT INTO runs (number, doc) VALUES (2, ?)').run(JSON.stringify({ number: 3, name: 'moved' }));
    db.close();
    expect((await store.listRuns()).map((r) => r.number)).toEqual([1]);
    expect(logger.messages('warn')).toEqual([
      expect.stringMatching(/runs DB .*runs\.sqlite \(table runs\): skipping run document number=2 \(name "moved"\): number 3 differs from its row key 2/),
    ]);
    await store.close();
  });

  test('a file that is not a SQLite database is a clear error naming it', async () => {
    const work = makeTmpDir('daqflow-sqlite-');
    fs.writeFileSync(path.join(work, 'runs.sqlite'), 'this is not sqlite'.repeat(100));
    await expect(openRunStore(makeConfig(work))).rejects.toThrow(/runs\.sqlite is not a usable SQLite database \(SQLITE_NOTADB\)/);
  });
});

describe('where the file may live and what it records', () => {
  /** A recorded /proc/self/mountinfo of a compute node: local root and /tmp, NFS home, Lustre scratch. */
  const mountinfo = (tmp: string) =>
    [
      '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
      `30 22 0:45 / ${tmp.replace(/ /g, '\\040')} rw,relatime shared:9 - tmpfs tmpfs rw`,
      '41 22 0:52 / /home rw,relatime shared:20 - nfs4 fs1:/export/home rw,vers=4.2',
      '42 22 0:53 / /project/lustre rw,relatime shared:21 - lustre 10.0.0.1@o2ib:/scratch rw',
      '43 41 0:54 / /home/xenon/local rw,relatime shared:22 - xfs /dev/sdb1 rw',
    ].join('\n');

  test('mountOf finds the innermost mount of a folder and isNetworkFs names NFS and Lustre', () => {
    const text = mountinfo('/tmp/my dir');
    expect(mountOf(text, '/home/xenon/work')).toEqual({ mountPoint: '/home', fsType: 'nfs4' });
    expect(mountOf(text, '/home/xenon/local/db')).toEqual({ mountPoint: '/home/xenon/local', fsType: 'xfs' });
    expect(mountOf(text, '/project/lustre/runs')).toEqual({ mountPoint: '/project/lustre', fsType: 'lustre' });
    expect(mountOf(text, '/tmp/my dir/x')).toEqual({ mountPoint: '/tmp/my dir', fsType: 'tmpfs' });
    expect(mountOf(text, '/homework')).toEqual({ mountPoint: '/', fsType: 'ext4' });
    expect(['nfs', 'nfs4', 'lustre', 'cifs', 'fuse.sshfs', 'gpfs'].every(isNetworkFs)).toBe(true);
    expect(['ext4', 'xfs', 'tmpfs', 'btrfs', 'zfs', 'overlay'].some(isNetworkFs)).toBe(false);
  });

  test('a runs DB file on a network file system is refused with the fix; on a local one it opens', () => {
    const work = fs.realpathSync(makeTmpDir('daqflow-sqlite-'));
    const info = path.join(work, 'mountinfo');
    const options = { path: path.join(work, 'runs.sqlite'), busyTimeoutMs: 1000, stateField: 'daqflow', monitorCapBytes: 4096, userQuery: null };
    fs.writeFileSync(info, mountinfo('/unrelated').replace(' / / rw,relatime shared:1 - ext4', ' / / rw,relatime shared:1 - nfs4'));
    expect(() => new SqliteRunStore({ ...options, mountinfo: info })).toThrow(ConfigError);
    expect(() => new SqliteRunStore({ ...options, mountinfo: info })).toThrow(
      /rundb\.sqlite_path: .*runs\.sqlite is on nfs4 \(\/\), where SQLite's locking is unsafe; put it on a local disk, or use MongoDB \(rundb\.uri\)/,
    );
    expect(fs.existsSync(options.path)).toBe(false);
    fs.writeFileSync(info, mountinfo(work));
    const store = new SqliteRunStore({ ...options, mountinfo: info });
    void store.close();
  });

  test('the file records rundb.state_field; opening it with another one is refused with the fix', async () => {
    const work = makeTmpDir('daqflow-sqlite-');
    const store = await openRunStore(makeConfig(work, { state_field: 'proc' }));
    await store.upsertRun({ number: 1 });
    await store.close();
    const db = new Database(path.join(work, 'runs.sqlite'), { readonly: true });
    expect(db.prepare("SELECT key, value FROM meta WHERE key IN ('schema', 'state_field') ORDER BY key").all()).toEqual([
      { key: 'schema', value: '2' },
      { key: 'state_field', value: 'proc' },
    ]);
    db.close();
    await expect(openRunStore(makeConfig(work))).rejects.toThrow(/rundb\.state_field is "daqflow" but .*runs\.sqlite keeps daqflow's state under "proc"; set rundb\.state_field: proc/);
  });

  test('a schema 1 file is migrated on open: it keeps its runs and records the configured state field', async () => {
    const work = makeTmpDir('daqflow-sqlite-');
    const file = path.join(work, 'runs.sqlite');
    const v1 = new Database(file);
    v1.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE runs (number INTEGER PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE run_stage (number INTEGER NOT NULL, stage TEXT NOT NULL, state TEXT, next_retry INTEGER, PRIMARY KEY (number, stage)) WITHOUT ROWID;
      INSERT INTO meta VALUES ('schema', '1'), ('monitor_bytes', '0');
      INSERT INTO runs VALUES (5, '{"number":5,"daqflow":{"process":{"state":"done"}}}');
      INSERT INTO run_stage VALUES (5, 'process', 'done', NULL);`);
    v1.close();
    const store = await openRunStore(makeConfig(work));
    expect((await store.listRuns({ stage: 'process', states: ['done'] })).map((r) => r.number)).toEqual([5]);
    await store.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT value FROM meta WHERE key = 'state_field'").get()).toEqual({ value: 'daqflow' });
    expect(db.prepare("SELECT value FROM meta WHERE key = 'schema'").get()).toEqual({ value: '2' });
    db.close();
  });
});
