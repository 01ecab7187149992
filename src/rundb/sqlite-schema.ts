// Opening runs.sqlite: WAL, busy timeout, schema, and SQLite errors turned into daqflow errors.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError, DaqflowError, InternalError, ServiceUnavailableError } from '../errors.js';
import { networkFsOf } from './sqlite-fs.js';

/** 2: meta records state_field (schema 1 files are migrated on open by recording the configured one). */
export const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (number INTEGER PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_stage (
  number INTEGER NOT NULL, stage TEXT NOT NULL, state TEXT, next_retry INTEGER,
  PRIMARY KEY (number, stage)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS run_stage_state ON run_stage (stage, state, next_retry);
CREATE TABLE IF NOT EXISTS hosts (host TEXT NOT NULL, command TEXT NOT NULL, time INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (host, command));
CREATE TABLE IF NOT EXISTS monitor (id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, bytes INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS monitor_time ON monitor (time);
CREATE TABLE IF NOT EXISTS config (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
`;

/** Maps a better-sqlite3 error to the daqflow error an operator can act on. */
export function sqliteError(error: unknown, file: string, busyMs: number, op: string): Error {
  if (error instanceof DaqflowError) return error;
  const code = (error as { code?: string }).code ?? '';
  const name = path.basename(file);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new ServiceUnavailableError(
      `${name} is locked by another process for more than ${busyMs} ms (${op} on ${file}); another daqflow pass or a sqlite3 shell holds a write lock — retry later, find the holder with \`fuser ${file}\`, or raise rundb.busy_timeout_ms`,
      { context: { file, option: 'rundb.busy_timeout_ms' }, cause: error },
    );
  }
  if (code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM') {
    return new ConfigError(`rundb.sqlite_path: cannot write ${file} (${(error as Error).message}); check the folder exists and is writable by this user`, {
      context: { file, option: 'rundb.sqlite_path' },
      cause: error,
    });
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new ServiceUnavailableError(`${file} is not a usable SQLite database (${code}); restore it from a backup or point rundb.sqlite_path elsewhere`, {
      context: { file, option: 'rundb.sqlite_path' },
      cause: error,
    });
  }
  if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR')) {
    return new ServiceUnavailableError(`${file}: ${op} failed (${code}: ${(error as Error).message}); check free space and the file system`, {
      context: { file },
      cause: error,
    });
  }
  return new InternalError(`${file}: ${op} failed: ${(error as Error).message}`, { context: { file }, cause: error });
}

export interface OpenSqliteOptions {
  /** rundb.state_field: recorded in a new file, and must match the one recorded in an existing file. */
  stateField: string;
  /** /proc/self/mountinfo by default. */
  mountinfo?: string;
}

/** Opens (creating if needed) the database file with WAL, FULL sync, the busy timeout, and the schema. */
export function openSqlite(file: string, busyMs: number, options: OpenSqliteOptions): Database.Database {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch (error) {
    throw new ConfigError(`rundb.sqlite_path: cannot create the folder of ${file} (${(error as Error).message})`, {
      context: { file, option: 'rundb.sqlite_path' },
    });
  }
  const network = networkFsOf(file, options.mountinfo);
  if (network) {
    throw new ConfigError(
      `rundb.sqlite_path: ${file} is on ${network.fsType} (${network.mountPoint}), where SQLite's locking is unsafe; put it on a local disk, or use MongoDB (rundb.uri) for runs DBs shared between hosts and batch jobs`,
      { context: { file, option: 'rundb.sqlite_path' } },
    );
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: busyMs });
    db.pragma(`busy_timeout = ${Math.floor(busyMs)}`);
    if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = OFF');
    ensureSchema(db, file, options.stateField);
    return db;
  } catch (error) {
    db?.close();
    throw sqliteError(error, file, busyMs, 'open');
  }
}

function metaValue(db: Database.Database, key: string): string | undefined {
  return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

function ensureSchema(db: Database.Database, file: string, stateField: string): void {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  const version = hasMeta ? metaValue(db, 'schema') : undefined;
  if (version && Number(version) > SCHEMA_VERSION) {
    throw new ConfigError(`${file} has runs-DB schema ${version}, newer than this daqflow understands (${SCHEMA_VERSION}); upgrade daqflow`, {
      context: { file, option: 'rundb.sqlite_path' },
    });
  }
  if (version && Number(version) === SCHEMA_VERSION) {
    const recorded = metaValue(db, 'state_field');
    if (recorded !== stateField) {
      throw new ConfigError(
        `rundb.state_field is ${JSON.stringify(stateField)} but ${file} keeps daqflow's state under ${JSON.stringify(recorded)}; set rundb.state_field: ${recorded ?? ''} (or point rundb.sqlite_path at another file)`,
        { context: { file, option: 'rundb.state_field' } },
      );
    }
    return; // already set up: no write lock needed to open
  }
  db.transaction(() => {
    db.exec(SCHEMA);
    // New file, or schema 1 (which did not record it): the configured state field is the one in use.
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('state_field', ?)").run(stateField);
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(SCHEMA_VERSION));
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('monitor_bytes', '0')").run();
  }).immediate();
}
