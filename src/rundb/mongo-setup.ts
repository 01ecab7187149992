// What the mongo backend creates at open: indexes on runs/hosts/config and the capped monitor collection.
import { MongoServerError, type Db } from 'mongodb';
import type { Logger } from '../log/index.js';
import type { Config } from '../config/schema.js';
import { mongoError, type MongoTarget } from './mongo-connect.js';

/**
 * Indexes: unique `number`; `<state_field>.<stage>.state` + `next_retry` per stage; unique host+command; unique config name.
 * A server that refuses one (permissions, an existing index with other options, duplicate numbers) gets a warning, not a failure:
 * existing run databases written by other software must keep working.
 */
export async function ensureMongoSetup(db: Db, rundb: Config['rundb'], stages: readonly string[], target: MongoTarget, logger: Logger): Promise<void> {
  const c = rundb.collections;
  const sf = rundb.state_field;
  const wanted: Array<[string, Record<string, 1>, { unique?: boolean }]> = [
    [c.runs, { number: 1 }, { unique: true }],
    ...stages.map((stage): [string, Record<string, 1>, object] => [c.runs, { [`${sf}.${stage}.state`]: 1, [`${sf}.${stage}.next_retry`]: 1 }, {}]),
    [c.hosts, { host: 1, command: 1 }, { unique: true }],
    [c.config, { name: 1 }, { unique: true }],
  ];
  for (const [collection, key, options] of wanted) {
    try {
      await db.collection(collection).createIndex(key, options);
    } catch (error) {
      if (!(error instanceof MongoServerError)) throw mongoError(error, target, 'createIndexes', collection);
      logger.warn(
        `runs DB ${target.location}: could not create index ${JSON.stringify(key)} on ${collection} (${error.message}); daqflow still works, queries may be slower`,
        { collection, code: error.code },
      );
    }
  }
  await ensureCappedMonitor(db, rundb, target, logger);
}

async function ensureCappedMonitor(db: Db, rundb: Config['rundb'], target: MongoTarget, logger: Logger): Promise<void> {
  const name = rundb.collections.monitor;
  try {
    const existing = await db.listCollections({ name }).toArray();
    if (existing.length === 0) {
      await db.createCollection(name, { capped: true, size: rundb.monitor_cap_bytes });
      return;
    }
    const options = (existing[0] as { options?: { capped?: boolean } }).options;
    if (!options?.capped) {
      logger.warn(`runs DB ${target.location}: collection ${name} exists but is not capped; monitor samples will grow without bound`, { collection: name });
    }
  } catch (error) {
    if (error instanceof MongoServerError && error.code === 48) return; // another process created it first
    if (!(error instanceof MongoServerError)) throw mongoError(error, target, 'createCollection', name);
    logger.warn(`runs DB ${target.location}: could not create capped collection ${name} (${error.message})`, { collection: name });
  }
}
