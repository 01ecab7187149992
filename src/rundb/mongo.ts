// The production RunStore: MongoDB through the official driver; claims are one findOneAndUpdate with the state filter,
// data entries change by targeted updates only, and every operation has a time limit.
import { randomUUID } from 'node:crypto';
import type { Collection, Document, MongoClient } from 'mongodb';
import type { Config } from '../config/schema.js';
import { ConfigError, InternalError } from '../errors.js';
import { nullLogger, type Logger } from '../log/index.js';
import { DATA_FIELDS, projectedKeys, storedDataEntry, SUMMARY_FIELDS, validateDataEntry } from './doc-ops.js';
import { fromStored, storedName, type RunFields } from './fields.js';
import { legacyStateOf, withLegacyState, type LegacyState } from './legacy-state.js';
import { createMongoClient, mongoError, resolveMongoTarget, type MongoTarget } from './mongo-connect.js';
import { moveDataEntries, pushOrSetDataEntry, type DataOpsContext } from './mongo-data.js';
import { verifyMongoSetup } from './mongo-setup.js';
import { dueCondition, mongoRunFilter, stageStateFilter, validateQuery } from './query.js';
import { reconcileClaim } from './mongo-reconcile.js';
import { claimSet, stageUpdateDoc } from './mongo-updates.js';
import { bulkUpsert, integralNumber, isDuplicateKey, UPSERT_CHUNK, upsertUpdate } from './mongo-upsert.js';
import { assertRunNumber, BadDocReporter } from './run-doc.js';
import type { ClaimNextOptions, ClaimOptions, DataMatch, RunQuery, RunStore, RunStoreOptions, StageUpdate, UpsertResult } from './store.js';
import { DEFAULT_STAGES, type ConfigDoc, type DataEntry, type DeletedDataEntry, type Heartbeat, type HostDoc, type MonitorSample, type RunDoc, type RunTag, type RunUpsert } from './types.js';
import type { UserFilter } from './user-filter.js';

export { redactUri } from './redact.js';

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
  private readonly fields: RunFields;
  private readonly legacy: LegacyState | null;
  private readonly maxTimeMS: number;

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
    this.fields = rundb.fields;
    this.legacy = legacyStateOf(rundb);
    this.maxTimeMS = rundb.op_timeout_ms;
  }

  /** Connects (failing with exit 4 after rundb.connect_timeout_ms) and verifies the indexes `daqflow db init` creates. */
  static async open(rundb: Config['rundb'], userFilter: UserFilter | null, options: RunStoreOptions = {}): Promise<MongoRunStore> {
    const target = resolveMongoTarget(rundb);
    const logger = options.logger ?? nullLogger();
    const client = createMongoClient(target, rundb);
    try {
      await client.connect();
      if (options.verifySetup !== false) await verifyMongoSetup(client.db(rundb.database), rundb, options.stages ?? DEFAULT_STAGES, target, logger);
    } catch (error) {
      await client.close().catch(() => undefined);
      throw mongoError(error, target, 'connect', '');
    }
    return new MongoRunStore(client, target, rundb, userFilter, logger, options.now);
  }

  async getRun(number: number, options: { fields?: readonly string[] } = {}): Promise<RunDoc | null> {
    assertRunNumber(number);
    return this.toRun(await this.guard('getRun', () => this.runs.findOne(this.byNumber(number), this.opts(options.fields))));
  }

  async listRuns(query: RunQuery = {}): Promise<RunDoc[]> {
    validateQuery(query);
    const docs = await this.guard('listRuns', () =>
      this.runs.find(this.filterOf(query), this.opts(query.fields)).sort(this.sortOf(query)).limit(query.limit ?? 0).toArray(),
    );
    return docs.map((d) => this.toRun(d)).filter((r): r is RunDoc => r !== null);
  }

  async listRunNumbers(query: RunQuery = {}): Promise<number[]> {
    validateQuery(query);
    // The name only so that a skipped bad document is named in its warning, as listRuns names it.
    const projection = { [this.fields.number]: 1, [this.fields.name]: 1 };
    const docs = await this.guard('listRunNumbers', () =>
      this.runs.find(this.filterOf(query), { ...this.opts(), projection }).sort(this.sortOf(query)).limit(query.limit ?? 0).toArray(),
    );
    return docs.map((d) => this.toRun(d)?.number).filter((n): n is number => n !== undefined);
  }

  async countRuns(query: RunQuery = {}): Promise<number> {
    validateQuery(query);
    return this.guard('countRuns', () => this.runs.countDocuments(this.filterOf(query), { maxTimeMS: this.maxTimeMS }));
  }

  async upsertRun(run: RunUpsert): Promise<UpsertResult> {
    assertRunNumber(run.number);
    const number = run.number;
    const update = upsertUpdate(run, this.fields);
    const attempt = () =>
      this.runs.findOneAndUpdate(this.byNumber(number), update, { upsert: true, returnDocument: 'after', includeResultMetadata: true, maxTimeMS: this.maxTimeMS });
    const result = await this.guard('upsertRun', async () => {
      try {
        return await attempt();
      } catch (error) {
        // Two processes upserting the same new run: the loser retries as an update.
        if (isDuplicateKey(error)) return attempt();
        throw error;
      }
    });
    return { created: result.lastErrorObject?.updatedExisting === false, run: this.requireRun(result.value, number) };
  }

  async upsertRuns(runs: readonly RunUpsert[]): Promise<{ created: number; updated: number }> {
    for (const run of runs) assertRunNumber(run.number);
    let created = 0;
    for (let i = 0; i < runs.length; i += UPSERT_CHUNK) {
      const chunk = runs.slice(i, i + UPSERT_CHUNK);
      const ops = chunk.map((run) => ({ updateOne: { filter: this.byNumber(run.number), update: upsertUpdate(run, this.fields), upsert: true } }));
      created += await this.guard('upsertRuns', () => bulkUpsert(this.runs, ops, this.maxTimeMS));
    }
    return { created, updated: runs.length - created };
  }

  async claimRun(number: number, stage: string, options: ClaimOptions): Promise<RunDoc | null> {
    assertRunNumber(number);
    validateQuery({ stage, states: options.from });
    return this.claim('claimRun', stage, options, { ...this.byNumber(number), ...this.claimFilter(stage, options) }, undefined);
  }

  async claimNext(stage: string, options: ClaimNextOptions): Promise<RunDoc | null> {
    const query: RunQuery = { ...options.query, stage, states: options.from, dueBy: options.dueBy };
    validateQuery(query);
    // Only integral numbers: a foreign document with a string or fractional number is never claimed.
    const filter = { $and: [this.filterOf(query), integralNumber(this.fields.number)] };
    return this.claim('claimNext', stage, options, filter, this.sortOf(query));
  }

  async updateStage(number: number, stage: string, update: StageUpdate): Promise<RunDoc | null> {
    const { filter, doc } = this.stageWrite(number, stage, update);
    return this.toRun(await this.guard('updateStage', () => this.runs.findOneAndUpdate(filter, doc, this.writeOpts())));
  }

  async updateStages(stage: string, updates: readonly { number: number; update: StageUpdate }[]): Promise<number> {
    if (updates.length === 0) return 0;
    const ops = updates.map((u) => {
      const { filter, doc } = this.stageWrite(u.number, stage, u.update);
      return { updateOne: { filter, update: doc } };
    });
    const result = await this.guard('updateStages', () => this.runs.bulkWrite(ops, { ordered: false, maxTimeMS: this.maxTimeMS }));
    return result.matchedCount;
  }

  /** The filter (run, state and claim guards) and update document of one stage update. */
  private stageWrite(number: number, stage: string, update: StageUpdate): { filter: Document; doc: Document } {
    assertRunNumber(number);
    validateQuery({ stage, states: update.expect });
    const base = `${this.stateField}.${stage}`;
    const doc = stageUpdateDoc(base, update, this.now(), { run: number, stage });
    const filter: Document = this.byNumber(number);
    if (update.expect) Object.assign(filter, stageStateFilter(this.stateField, stage, update.expect, this.legacy));
    if (update.expectClaimId !== undefined) filter[`${base}.claim_id`] = update.expectClaimId;
    return { filter, doc };
  }

  async addData(number: number, entry: DataEntry): Promise<RunDoc | null> {
    assertRunNumber(number);
    const problem = validateDataEntry(entry);
    if (problem) throw new ConfigError(`run ${number}: ${problem}`, { context: { run: number } });
    const doc = await pushOrSetDataEntry(this.dataOps(number, 'addData'), storedDataEntry(entry, this.now()));
    return this.toRun(doc);
  }

  async removeData(number: number, match: DataMatch, info: { by: string; reason: string }): Promise<DeletedDataEntry[]> {
    assertRunNumber(number);
    return moveDataEntries(this.dataOps(number, 'removeData'), match, info, this.now());
  }

  async addTag(number: number, tag: RunTag): Promise<boolean> {
    assertRunNumber(number);
    const tags = storedName(this.fields, 'tags');
    const opts = { maxTimeMS: this.maxTimeMS };
    // A run without tags (absent or null, where $push would fail) gets the list; otherwise a guarded $push.
    const first = await this.guard('addTag', () => this.runs.updateOne({ ...this.byNumber(number), [tags]: null }, { $set: { [tags]: [tag] } }, opts));
    if (first.modifiedCount > 0) return true;
    const filter = { ...this.byNumber(number), [`${tags}.name`]: { $ne: tag.name } };
    const result = await this.guard('addTag', () => this.runs.updateOne(filter, { $push: { [tags]: tag } } as Document, opts));
    return result.modifiedCount > 0;
  }

  async removeTag(number: number, name: string): Promise<boolean> {
    assertRunNumber(number);
    const tags = storedName(this.fields, 'tags');
    const filter = { ...this.byNumber(number), [`${tags}.name`]: name };
    const result = await this.guard('removeTag', () => this.runs.updateOne(filter, { $pull: { [tags]: { name } } } as Document, { maxTimeMS: this.maxTimeMS }));
    return result.modifiedCount > 0;
  }

  async heartbeat(beat: Heartbeat): Promise<void> {
    const doc = { ...beat, time: beat.time ?? this.now() };
    await this.guard('heartbeat', () => this.hosts.replaceOne({ host: beat.host, command: beat.command }, doc, { upsert: true, maxTimeMS: this.maxTimeMS }));
  }

  async listHosts(options: { since?: Date } = {}): Promise<HostDoc[]> {
    const filter = options.since ? { time: { $gte: options.since } } : {};
    return (await this.guard('listHosts', () => this.hosts.find(filter, this.noId()).sort({ host: 1, command: 1 }).toArray())) as unknown as HostDoc[];
  }

  async addMonitorSample(sample: Record<string, unknown>): Promise<void> {
    const doc = { ...sample, time: sample.time instanceof Date ? sample.time : this.now() };
    await this.guard('addMonitorSample', () => this.monitor.insertOne(doc, { maxTimeMS: this.maxTimeMS }));
  }

  async listMonitorSamples(options: { since?: Date; limit?: number } = {}): Promise<MonitorSample[]> {
    const filter = options.since ? { time: { $gte: options.since } } : {};
    const docs = await this.guard('listMonitorSamples', () =>
      this.monitor.find(filter, this.noId()).sort({ time: -1, _id: -1 }).limit(options.limit ?? 0).toArray(),
    );
    return docs.reverse() as unknown as MonitorSample[];
  }

  async getConfigDoc(name: string): Promise<ConfigDoc | null> {
    return (await this.guard('getConfigDoc', () => this.configs.findOne({ name }, this.noId()))) as ConfigDoc | null;
  }

  async setConfigDoc(name: string, fields: Record<string, unknown>): Promise<ConfigDoc> {
    const doc = { ...fields, name, updated_at: this.now() };
    delete (doc as { _id?: unknown })._id;
    await this.guard('setConfigDoc', () => this.configs.replaceOne({ name }, doc, { upsert: true, maxTimeMS: this.maxTimeMS }));
    return doc as ConfigDoc;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /**
   * One findOneAndUpdate with the state filter, tagged with a fresh claim_id. When the outcome is unknown (the
   * connection broke after the driver's one retry), the claim is reconciled by looking for that claim_id.
   */
  private async claim(op: string, stage: string, options: ClaimOptions, filter: Document, sort: Document | undefined): Promise<RunDoc | null> {
    const claimId = randomUUID();
    const update = { $set: claimSet(`${this.stateField}.${stage}`, options, this.now(), claimId) };
    try {
      return this.toRun(await this.guard(op, () => this.runs.findOneAndUpdate(filter, update, { ...this.writeOpts(), ...(sort ? { sort } : {}) })));
    } catch (error) {
      const found = await reconcileClaim(error, () => this.runs.findOne({ [`${this.stateField}.${stage}.claim_id`]: claimId }, this.writeOpts()));
      return this.toRun(found);
    }
  }

  private claimFilter(stage: string, options: ClaimOptions): Document {
    const filter = stageStateFilter(this.stateField, stage, options.from, this.legacy);
    return options.dueBy ? { $and: [filter, dueCondition(`${this.stateField}.${stage}.next_retry`, options.dueBy)] } : filter;
  }

  private byNumber(number: number): Document {
    return { [this.fields.number]: number };
  }

  private filterOf(query: RunQuery): Document {
    return mongoRunFilter(query, this.stateField, this.userFilter, this.fields.number, this.legacy);
  }

  private sortOf(query: RunQuery): Document {
    return { [this.fields.number]: query.order === 'desc' ? -1 : 1 };
  }

  /** Read options: time limit, primary (reads that decide claims must not see a lagging secondary), optional projection. */
  private opts(fields?: readonly string[]): { maxTimeMS: number; readPreference: 'primary'; projection?: Document } {
    const base = { maxTimeMS: this.maxTimeMS, readPreference: 'primary' as const };
    return fields ? { ...base, projection: this.projection(fields) } : base;
  }

  /** findOneAndUpdate options of claims and stage updates: the run after the write, summary fields only. */
  private writeOpts(): { maxTimeMS: number; returnDocument: 'after'; projection: Document } {
    return { maxTimeMS: this.maxTimeMS, returnDocument: 'after', projection: this.projection(SUMMARY_FIELDS) };
  }

  private projection(fields: readonly string[]): Document {
    return Object.fromEntries(projectedKeys(fields, this.stateField, this.legacy?.field).map((k) => [storedName(this.fields, k), 1]));
  }

  private noId(): { projection: { _id: 0 }; maxTimeMS: number } {
    return { projection: { _id: 0 }, maxTimeMS: this.maxTimeMS };
  }

  private dataOps(number: number, op: string): DataOpsContext {
    return {
      runs: this.runs,
      fields: this.fields,
      runFilter: this.byNumber(number),
      options: { maxTimeMS: this.maxTimeMS, projection: this.projection(DATA_FIELDS) },
      guard: (fn) => this.guard(op, fn),
    };
  }

  private toRun(doc: Document | null): RunDoc | null {
    if (!doc) return null;
    const { _id, ...rest } = fromStored(this.fields, doc);
    const run = this.bad.check(rest, `_id=${String(_id)}`);
    return run && withLegacyState(run, this.stateField, this.legacy);
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
