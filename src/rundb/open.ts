// openRunStore: picks the backend from rundb.backend (auto → mongo when a URI is configured, else sqlite).
import fs from 'node:fs';
import { workPaths } from '../config/resolve-paths.js';
import type { Config } from '../config/schema.js';
import type { RunStore, RunStoreOptions } from './store.js';
import { legacyStateOf } from './legacy-state.js';
import { RunsDbNotCreatedError } from './not-created.js';
import { compileUserFilter } from './user-filter.js';

export function chooseBackend(rundb: Config['rundb']): 'mongo' | 'sqlite' {
  if (rundb.backend === 'mongo' || rundb.backend === 'sqlite') return rundb.backend;
  return rundb.uri || rundb.uri_file ? 'mongo' : 'sqlite';
}

/** Opens the runs database. Config problems throw ConfigError (3); an unreachable or locked DB ServiceUnavailableError (4). */
export async function openRunStore(config: Config, options: RunStoreOptions = {}): Promise<RunStore> {
  const rundb = config.rundb;
  const backend = chooseBackend(rundb);
  const { filter, query } = await compileUserFilter(rundb.user_filter, backend);
  // Each backend's driver is loaded only when used (the mongodb driver alone costs ~0.3 s of start-up).
  if (backend === 'mongo') {
    const { MongoRunStore } = await import('./mongo.js');
    return MongoRunStore.open(rundb, filter, options);
  }
  const file = workPaths(config).sqlitePath;
  if (options.mustExist && !fs.existsSync(file)) throw new RunsDbNotCreatedError(file);
  const { SqliteRunStore } = await import('./sqlite.js');
  return new SqliteRunStore({
    path: file,
    busyTimeoutMs: rundb.busy_timeout_ms,
    stateField: rundb.state_field,
    monitorCapBytes: rundb.monitor_cap_bytes,
    userQuery: query,
    legacy: legacyStateOf(rundb),
    logger: options.logger,
    now: options.now,
  });
}
