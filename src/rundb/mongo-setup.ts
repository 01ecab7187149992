// What `daqflow db init` creates on MongoDB (indexes, the capped monitor collection), and the check every other command makes.
import { MongoServerError, type Db, type Document } from 'mongodb';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/index.js';
import { mongoError, type MongoTarget } from './mongo-connect.js';

interface PlannedIndex {
  collection: string;
  key: Record<string, 1>;
  unique: boolean;
}

/** What was found, created, or is wrong; each entry is one line for a person. */
export interface SetupReport {
  ok: string[];
  created: string[];
  missing: string[];
  problems: string[];
  /** Worth knowing, not blocking (e.g. a standalone server without retryable writes). */
  warnings: string[];
}

const emptyReport = (): SetupReport => ({ ok: [], created: [], missing: [], problems: [], warnings: [] });

/** A standalone mongod has no retryable writes: a write cut off by a network error is not retried by the driver. */
async function serverWarnings(db: Db): Promise<string[]> {
  // `hello` since MongoDB 4.4.2; older servers answer `isMaster` (CommandNotFound, 59, for hello).
  const hello = await db
    .admin()
    .command({ hello: 1 })
    .catch((error: unknown) => (error instanceof MongoServerError && error.code === 59 ? db.admin().command({ isMaster: 1 }) : Promise.reject(error)));
  if (hello.setName || hello.msg === 'isdbgrid') return [];
  return [
    'the server is a standalone mongod, which has no retryable writes: a write cut off by a network error is not retried (claims are still settled by their claim_id); run it as a replica set, even of one member',
  ];
}

/** Unique number; state + next_retry per stage; unique host+command; unique config name. */
function plannedIndexes(rundb: Config['rundb'], stages: readonly string[]): PlannedIndex[] {
  const c = rundb.collections;
  const sf = rundb.state_field;
  const index = (collection: string, key: Record<string, 1>, unique: boolean): PlannedIndex => ({ collection, key, unique });
  return [
    index(c.runs, { [rundb.fields.number]: 1 }, true),
    ...stages.map((stage) => index(c.runs, { [`${sf}.${stage}.state`]: 1, [`${sf}.${stage}.next_retry`]: 1 }, false)),
    index(c.hosts, { host: 1, command: 1 }, true),
    index(c.config, { name: 1 }, true),
  ];
}

const describe = (p: PlannedIndex) => `${p.unique ? 'unique ' : ''}index ${JSON.stringify(p.key)} on ${p.collection}`;
const sameKey = (a: Document, b: Document) => JSON.stringify(Object.entries(a)) === JSON.stringify(Object.entries(b));

async function existingIndexes(db: Db, collection: string): Promise<Document[]> {
  try {
    return await db.collection(collection).listIndexes().toArray();
  } catch (error) {
    if (error instanceof MongoServerError && error.code === 26) return []; // no such collection yet
    throw error;
  }
}

/** Compares one planned index with what exists: 'ok', 'missing', or a problem line. */
function judge(p: PlannedIndex, existing: Document[]): 'ok' | 'missing' | string {
  const found = existing.find((i) => sameKey(i.key as Document, p.key));
  if (!found) return 'missing';
  if (p.unique && !found.unique) {
    return `${describe(p)} exists as ${String(found.name)} but is not unique: concurrent upserts of a new run can create duplicate run documents; remove the duplicates, drop ${String(found.name)} and run \`daqflow db init\``;
  }
  return 'ok';
}

async function cappedState(db: Db, name: string): Promise<'ok' | 'missing' | 'uncapped'> {
  const [info] = await db.listCollections({ name }).toArray();
  if (!info) return 'missing';
  return (info as { options?: { capped?: boolean } }).options?.capped ? 'ok' : 'uncapped';
}

const uncapped = (name: string) => `collection ${name} exists but is not capped: monitor samples grow without bound; drop or rename it and run \`daqflow db init\``;

/** Creates what is missing and reports conflicts; never drops or changes an existing index or collection. */
export async function initMongoSetup(db: Db, rundb: Config['rundb'], stages: readonly string[], target: MongoTarget): Promise<SetupReport> {
  const report = emptyReport();
  try {
    report.warnings.push(...(await serverWarnings(db)));
    for (const p of plannedIndexes(rundb, stages)) {
      const verdict = judge(p, await existingIndexes(db, p.collection));
      if (verdict === 'ok') report.ok.push(describe(p));
      else if (verdict !== 'missing') report.problems.push(verdict);
      else {
        try {
          await db.collection(p.collection).createIndex(p.key, p.unique ? { unique: true } : {});
          report.created.push(describe(p));
        } catch (error) {
          if (!(error instanceof MongoServerError)) throw error;
          report.problems.push(`could not create ${describe(p)}: ${error.message} (code ${String(error.code)})`);
        }
      }
    }
    const name = rundb.collections.monitor;
    const state = await cappedState(db, name);
    if (state === 'uncapped') report.problems.push(uncapped(name));
    else if (state === 'ok') report.ok.push(`capped collection ${name}`);
    else {
      try {
        await db.createCollection(name, { capped: true, size: rundb.monitor_cap_bytes });
        report.created.push(`capped collection ${name} (${rundb.monitor_cap_bytes} bytes)`);
      } catch (error) {
        if (!(error instanceof MongoServerError)) throw error;
        if (error.code === 48) report.ok.push(`capped collection ${name}`);
        else report.problems.push(`could not create capped collection ${name}: ${error.message}`);
      }
    }
  } catch (error) {
    throw mongoError(error, target, 'db init', '');
  }
  return report;
}

/** Checks (never creates) what `daqflow db init` would create; each gap or risk is one warning that says what to run. */
export async function verifyMongoSetup(db: Db, rundb: Config['rundb'], stages: readonly string[], target: MongoTarget, logger: Logger): Promise<SetupReport> {
  try {
    return await verify(db, rundb, stages, target, logger);
  } catch (error) {
    // A user without listIndexes / listCollections rights can still work: say so once instead of failing.
    if (!(error instanceof MongoServerError)) throw error;
    logger.warn(`runs DB ${target.location}: could not check the indexes (${error.message}); ask an administrator to run \`daqflow db init\``, { option: 'rundb' });
    return emptyReport();
  }
}

async function verify(db: Db, rundb: Config['rundb'], stages: readonly string[], target: MongoTarget, logger: Logger): Promise<SetupReport> {
  const report = emptyReport();
  report.warnings.push(...(await serverWarnings(db)));
  const cache = new Map<string, Document[]>();
  for (const p of plannedIndexes(rundb, stages)) {
    if (!cache.has(p.collection)) cache.set(p.collection, await existingIndexes(db, p.collection));
    const verdict = judge(p, cache.get(p.collection)!);
    if (verdict === 'ok') report.ok.push(describe(p));
    else if (verdict === 'missing') report.missing.push(describe(p));
    else report.problems.push(verdict);
  }
  const state = await cappedState(db, rundb.collections.monitor);
  if (state === 'missing') report.missing.push(`capped collection ${rundb.collections.monitor}`);
  if (state === 'uncapped') report.problems.push(uncapped(rundb.collections.monitor));
  for (const line of [...report.problems, ...report.warnings]) logger.warn(`runs DB ${target.location}: ${line}`, { option: 'rundb' });
  if (report.missing.length > 0) {
    logger.warn(`runs DB ${target.location}: missing ${report.missing.join(', ')}; run \`daqflow db init\` once (queries are slower and duplicate runs are possible until then)`, {
      option: 'rundb',
    });
  }
  return report;
}
