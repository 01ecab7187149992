// The sqlite backend beyond the contract: file location, WAL, JSON storage, the indexed stage table, filter validation.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { chooseBackend, openRunStore } from '../../src/rundb/index.js';
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
