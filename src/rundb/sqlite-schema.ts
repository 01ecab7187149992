// Opening runs.sqlite: WAL, busy timeout, schema, and SQLite errors turned into daqflow errors.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError, DaqflowError, InternalError, ServiceUnavailableError } from '../errors.js';

export const SCHEMA_VERSION = 1;

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

/** Opens (creating if needed) the database file with WAL, FULL sync, the busy timeout, and the schema. */
export function openSqlite(file: string, busyMs: number): Database.Database {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch (error) {
    throw new ConfigError(`rundb.sqlite_path: cannot create the folder of ${file} (${(error as Error).message})`, {
      context: { file, option: 'rundb.sqlite_path' },
    });
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: busyMs });
    db.pragma(`busy_timeout = ${Math.floor(busyMs)}`);
    if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = OFF');
    ensureSchema(db, file);
    return db;
  } catch (error) {
    db?.close();
    throw sqliteError(error, file, busyMs, 'open');
  }
}

function ensureSchema(db: Database.Database, file: string): void {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  const version = hasMeta ? (db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined) : undefined;
  if (version && Number(version.value) > SCHEMA_VERSION) {
    throw new ConfigError(`${file} has runs-DB schema ${version.value}, newer than this daqflow understands (${SCHEMA_VERSION}); upgrade daqflow`, {
      context: { file, option: 'rundb.sqlite_path' },
    });
  }
  if (version) return; // already set up: no write lock needed to open
  db.transaction(() => {
    db.exec(SCHEMA);
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('monitor_bytes', '0')").run();
  }).immediate();
}
