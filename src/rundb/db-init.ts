// `daqflow db init`: creates and checks once what the runs database needs (MongoDB indexes and capped collection, the SQLite schema).
import fs from 'node:fs';
import { workPaths } from '../config/resolve-paths.js';
import type { Config } from '../config/schema.js';
import { nullLogger, type Logger } from '../log/index.js';
import { chooseBackend, openRunStore } from './open.js';
import type { SetupReport } from './mongo-setup.js';
import { DEFAULT_STAGES } from './types.js';

export type { SetupReport } from './mongo-setup.js';

export interface DbInitResult {
  backend: 'mongo' | 'sqlite';
  /** Where (credentials redacted). */
  location: string;
  report: SetupReport;
}

/** Creates what is missing, never changes what exists; conflicts are reported in `report.problems`. */
export async function initRunsDb(config: Config, options: { stages?: readonly string[]; logger?: Logger } = {}): Promise<DbInitResult> {
  const stages = options.stages ?? DEFAULT_STAGES;
  if (chooseBackend(config.rundb) === 'mongo') {
    const [{ createMongoClient, mongoError, resolveMongoTarget }, { initMongoSetup }] = await Promise.all([import('./mongo-connect.js'), import('./mongo-setup.js')]);
    const target = resolveMongoTarget(config.rundb);
    const client = createMongoClient(target, config.rundb);
    try {
      await client.connect().catch((error: unknown) => Promise.reject(mongoError(error, target, 'connect', '')));
      const report = await initMongoSetup(client.db(config.rundb.database), config.rundb, stages, target);
      return { backend: 'mongo', location: target.location, report };
    } finally {
      await client.close().catch(() => undefined);
    }
  }
  const file = workPaths(config).sqlitePath;
  const existed = fs.existsSync(file);
  const store = await openRunStore(config, { logger: options.logger ?? nullLogger() });
  await store.close();
  const line = `SQLite runs DB schema (state field ${config.rundb.state_field})`;
  return { backend: 'sqlite', location: file, report: { ok: existed ? [line] : [], created: existed ? [] : [line], missing: [], problems: [], warnings: [] } };
}
