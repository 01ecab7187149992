// The production RunStore: MongoDB through the official driver; claims are one findOneAndUpdate with the state filter.
import type { Collection, Document, MongoClient } from 'mongodb';
import type { Config } from '../config/schema.js';
import { ConfigError, InternalError } from '../errors.js';
import { nullLogger, type Logger } from '../log/index.js';
import { validateDataEntry, withDataEntry, withoutDataEntries } from './doc-ops.js';
import { createMongoClient, mongoError, resolveMongoTarget, type MongoTarget } from './mongo-connect.js';
import { ensureMongoSetup } from './mongo-setup.js';
import { dueCondition, mongoRunFilter, stateCondition, validateQuery } from './query.js';
import { assertRunNumber, BadDocReporter } from './run-doc.js';
import type { ClaimNextOptions, ClaimOptions, DataMatch, RunQuery, RunStore, RunStoreOptions, StageUpdate, UpsertResult } from './store.js';
import { DEFAULT_STAGES, type ConfigDoc, type DataEntry, type DeletedDataEntry, type Heartbeat, type HostDoc, type MonitorSample, type RunDoc, type RunUpsert, type StageFields } from './types.js';
import type { UserFilter } from './user-filter.js';

export { redactUri } from './redact.js';

const CAS_ATTEMPTS = 8;
const BULK_CHUNK = 1000;

/** `$set` of the given top-level fields (never `_id`), `$setOnInsert` of the number. */
function upsertUpdate(run: RunUpsert): Document {
  const { number, ...rest } = run;
  const fields = Object.fromEntries(Object.entries(rest).filter(([k, v]) => v !== undefined && k !== '_id'));
  const update: Document = { $setOnInsert: { number } };
  if (Object.keys(fields).length > 0) update.$set = fields;
  return update;
}
const NO_ID = { projection: { _id: 0 } } as const;

export class MongoRunStore implements RunStore {
  readonly backend = 'mongo' as const;
  readonly stateField: string;
  readonly location: string;
  private readonly runs: Collection;
  private readonly hosts: Collection;
  private readonly monitor: Collection;
  private readonly configs: Collection;
  private readonly now: () => Date;
  private readonly bad: BadDocReporter;

  private constructor(
    private readonly client: MongoClient,
    private readonly target: MongoTarget,
    rundb: Config['rundb'],
    private readonly userFilter: UserFilter | null,
    logger: Logger,
    now: (() => Date) | undefined,
  ) {
    const db = client.db(rundb.database);
    this.runs = db.collection(rundb.collections.runs);
    this.hosts = db.collection(rundb.collections.hosts);
    this.monitor = db.collection(rundb.collections.monitor);
    this.configs = db.collection(rundb.collections.config);
    this.stateField = rundb.state_field;
    this.location = target.location;
    this.now = now ?? (() => new Date());
    this.bad = new BadDocReporter(logger, `${target.location} (collection ${rundb.collections.runs})`);
  }

  /** Connects (failing with exit 4 after rundb.connect_timeout_ms), creates indexes, returns the store. */
  static async open(rundb: Config['rundb'], userFilter: UserFilter | null, options: RunStoreOptions = {}): Promise<MongoRunStore> {
    const target = resolveMongoTarget(rundb);
    const logger = options.logger ?? nullLogger();
    const client = createMongoClient(target, rundb);
    try {
      await client.connect();
      if (options.ensureIndexes !== false) await ensureMongoSetup(client.db(rundb.database), rundb, options.stages ?? DEFAULT_STAGES, target, logger);
    } catch (error) {
      await client.close().catch(() => undefined);
      throw mongoError(error, target, 'connect', '');
    }
    return new MongoRunStore(client, target, rundb, userFilter, logger, options.now);
  }

  async getRun(number: number): Promise<RunDoc | null> {
    assertRunNumber(number);
    return this.toRun(await this.guard('getRun', () => this.runs.findOne({ number })));
  }

  async listRuns(query: RunQuery = {}): Promise<RunDoc[]> {
    validateQuery(query);
    const filter = mongoRunFilter(query, this.stateField, this.userFilter);
    const docs = await this.guard('listRuns', () =>
      this.runs.find(filter).sort({ number: query.order === 'desc' ? -1 : 1 }).limit(query.limit ?? 0).toArray(),
    );
    return docs.map((d) => this.toRun(d)).filter((r): r is RunDoc => r !== null);
  }

  async countRuns(query: RunQuery = {}): Promise<number> {
    validateQuery(query);
    return this.guard('countRuns', () => this.runs.countDocuments(mongoRunFilter(query, this.stateField, this.userFilter)));
  }

  async upsertRun(run: RunUpsert): Promise<UpsertResult> {
    assertRunNumber(run.number);
    const number = run.number;
    const update = upsertUpdate(run);
    const attempt = () => this.runs.findOneAndUpdate({ number }, update, { upsert: true, returnDocument: 'after', includeResultMetadata: true });
    const result = await this.guard('upsertRun', async () => {
      try {
        return await attempt();
      } catch (error) {
        // Two processes upserting the same new run: the loser retries as an update.
        if ((error as { code?: number }).code === 11000) return attempt();
        throw error;
      }
    });
    return { created: result.lastErrorObject?.updatedExisting === false, run: this.requireRun(result.value, number) };
  }

  async upsertRuns(runs: readonly RunUpsert[]): Promise<{ created: number; updated: number }> {
    for (const run of runs) assertRunNumber(run.number);
    let created = 0;
    for (let i = 0; i < runs.length; i += BULK_CHUNK) {
      const ops = runs.slice(i, i + BULK_CHUNK).map((run) => ({ updateOne: { filter: { number: run.number }, update: upsertUpdate(run), upsert: true } }));
      const result = await this.guard('upsertRuns', () => this.runs.bulkWrite(ops, { ordered: false }));
      created += result.upsertedCount;
    }
    return { created, updated: runs.length - created };
  }

  async claimRun(number: number, stage: string, options: ClaimOptions): Promise<RunDoc | null> {
    assertRunNumber(number);
    validateQuery({ stage, states: options.from });
    const base = `${this.stateField}.${stage}`;
    const filter: Document = { number, [`${base}.state`]: stateCondition(options.from) };
    if (options.dueBy) Object.assign(filter, dueCondition(`${base}.next_retry`, options.dueBy));
    return this.toRun(await this.guard('claimRun', () => this.runs.findOneAndUpdate(filter, { $set: this.claimSet(stage, options) }, { returnDocument: 'after' })));
  }

  async claimNext(stage: string, options: ClaimNextOptions): Promise<RunDoc | null> {
    const query: RunQuery = { ...options.query, stage, states: options.from, dueBy: options.dueBy };
    validateQuery(query);
    // Only integer-typed numbers: a foreign document with a string or fractional number is never claimed.
    const filter = { $and: [mongoRunFilter(query, this.stateField, this.userFilter), { number: { $type: ['int', 'long'] } }] };
    const sort = { number: query.order === 'desc' ? -1 : 1 } as const;
    return this.toRun(await this.guard('claimNext', () => this.runs.findOneAndUpdate(filter, { $set: this.claimSet(stage, options) }, { sort, returnDocument: 'after' })));
  }

  async updateStage(number: number, stage: string, update: StageUpdate): Promise<RunDoc | null> {
    assertRunNumber(number);
    validateQuery({ stage, states: update.expect });
    const base = `${this.stateField}.${stage}`;
    const set = update.set ?? {};
    for (const key of update.unset ?? []) {
      if (key in set) throw new ConfigError(`updateStage: field ${key} is both set and unset`, { context: { run: number, stage } });
    }
    if (update.incFailures && 'n_failures' in set) {
      throw new ConfigError('updateStage: set n_failures or incFailures, not both', { context: { run: number, stage } });
    }
    const doc: Document = { $set: { ...this.prefixed(base, set), [`${base}.updated_at`]: this.now() } };
    if (update.unset?.length) doc.$unset = Object.fromEntries(update.unset.map((k) => [`${base}.${k}`, '']));
    if (update.incFailures) doc.$inc = { [`${base}.n_failures`]: update.incFailures };
    const filter: Document = { number };
    if (update.expect) filter[`${base}.state`] = stateCondition(update.expect);
    return this.toRun(await this.guard('updateStage', () => this.runs.findOneAndUpdate(filter, doc, { returnDocument: 'after' })));
  }

  async addData(number: number, entry: DataEntry): Promise<RunDoc | null> {
    assertRunNumber(number);
    const problem = validateDataEntry(entry);
    if (problem) throw new ConfigError(`run ${number}: ${problem}`, { context: { run: number } });
    const stamped = { ...entry, at: entry.at ?? this.now() };
    const result = await this.casData(number, 'addData', (data) => ({ $set: { data: withDataEntry(data, stamped) } }));
    return result ? this.toRun(result.doc) : null;
  }

  async removeData(number: number, match: DataMatch, info: { by: string; reason: string }): Promise<DeletedDataEntry[]> {
    assertRunNumber(number);
    let moved: DeletedDataEntry[] = [];
    await this.casData(number, 'removeData', (data) => {
      const split = withoutDataEntries(data, match, info, this.now());
      moved = split.moved;
      if (moved.length === 0) return null;
      return { $set: { data: split.kept }, $push: { deleted_data: { $each: moved } } };
    });
    return moved;
  }

  async heartbeat(beat: Heartbeat): Promise<void> {
    const doc = { ...beat, time: beat.time ?? this.now() };
    await this.guard('heartbeat', () => this.hosts.replaceOne({ host: beat.host, command: beat.command }, doc, { upsert: true }));
  }

  async listHosts(options: { since?: Date } = {}): Promise<HostDoc[]> {
    const filter = options.since ? { time: { $gte: options.since } } : {};
    return (await this.guard('listHosts', () => this.hosts.find(filter, NO_ID).sort({ host: 1, command: 1 }).toArray())) as unknown as HostDoc[];
  }

  async addMonitorSample(sample: Record<string, unknown>): Promise<void> {
    const doc = { ...sample, time: sample.time instanceof Date ? sample.time : this.now() };
    await this.guard('addMonitorSample', () => this.monitor.insertOne(doc));
  }

  async listMonitorSamples(options: { since?: Date; limit?: number } = {}): Promise<MonitorSample[]> {
    const filter = options.since ? { time: { $gte: options.since } } : {};
    const docs = await this.guard('listMonitorSamples', () =>
      this.monitor.find(filter, NO_ID).sort({ time: -1, _id: -1 }).limit(options.limit ?? 0).toArray(),
    );
    return docs.reverse() as unknown as MonitorSample[];
  }

  async getConfigDoc(name: string): Promise<ConfigDoc | null> {
    return (await this.guard('getConfigDoc', () => this.configs.findOne({ name }, NO_ID))) as ConfigDoc | null;
  }

  async setConfigDoc(name: string, fields: Record<string, unknown>): Promise<ConfigDoc> {
    const doc = { ...fields, name, updated_at: this.now() };
    delete (doc as { _id?: unknown })._id;
    await this.guard('setConfigDoc', () => this.configs.replaceOne({ name }, doc, { upsert: true }));
    return doc as ConfigDoc;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private claimSet(stage: string, options: ClaimOptions): Document {
    const base = `${this.stateField}.${stage}`;
    return { ...this.prefixed(base, options.set ?? {}), [`${base}.state`]: options.to, [`${base}.host`]: options.host, [`${base}.updated_at`]: this.now() };
  }

  private prefixed(base: string, fields: StageFields): Document {
    return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => [`${base}.${k}`, v]));
  }

  /**
   * Read the run's `data`, compute the update, and write it only if `data` is still what was read
   * (compare-and-set in one command, so a concurrent writer makes us re-read, never lose its entry).
   */
  private async casData(number: number, op: string, build: (data: DataEntry[] | undefined) => Document | null): Promise<{ doc: Document } | null> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const current = await this.guard(op, () => this.runs.findOne({ number }, { projection: { data: 1 } }));
      if (!current) return null;
      const data = current.data as DataEntry[] | undefined;
      const update = build(data);
      if (!update) return { doc: current };
      const filter = { number, data: data === undefined ? { $exists: false } : data };
      const doc = await this.guard(op, () => this.runs.findOneAndUpdate(filter, update, { returnDocument: 'after' }));
      if (doc) return { doc };
    }
    throw new InternalError(`run ${number}: data entries kept changing during ${op} (${CAS_ATTEMPTS} attempts); run the pass again`, { context: { run: number } });
  }

  private toRun(doc: Document | null): RunDoc | null {
    if (!doc) return null;
    const { _id, ...rest } = doc;
    return this.bad.check(rest, `_id=${String(_id)}`);
  }

  private requireRun(doc: Document | null, number: number): RunDoc {
    const run = this.toRun(doc);
    if (!run) throw new InternalError(`run ${number}: upsert returned no valid document`, { context: { run: number } });
    return run;
  }

  private async guard<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw mongoError(error, this.target, op, this.runs.collectionName);
    }
  }
}
