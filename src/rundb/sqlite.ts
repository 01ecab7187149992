// The embedded RunStore: one SQLite file (WAL), documents as JSON, per-stage state in an indexed side table.
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Query } from 'mingo';
import { nullLogger, type Logger } from '../log/index.js';
import { ConfigError } from '../errors.js';
import { applyClaim, applyStageUpdate, DATA_FIELDS, INSERT_ONLY, isDue, pickFields, projectedKeys, sameEntry, stateMatches, storedDataEntry, SUMMARY_FIELDS, validateDataEntry, withDataEntry, withoutDataEntries } from './doc-ops.js';
import { withLegacyState, type LegacyState } from './legacy-state.js';
import { validateQuery } from './query.js';
import { assertRunNumber, BadDocReporter, runDocProblem } from './run-doc.js';
import { decodeDoc, encodeDoc, timeColumn } from './sqlite-json.js';
import { decodeProjected, projectionColumns } from './sqlite-project.js';
import { selectRunsSql } from './sqlite-query.js';
import { openSqlite, sqliteError } from './sqlite-schema.js';
import { getConfigRow, listHostRows, listMonitorRows, putConfigRow, putHeartbeat, putMonitorSample } from './sqlite-side.js';
import type { ClaimNextOptions, ClaimOptions, DataMatch, RunQuery, RunStore, StageUpdate, UpsertResult } from './store.js';
import { stageOf, type ConfigDoc, type DataEntry, type DeletedDataEntry, type Heartbeat, type HostDoc, type MonitorSample, type RunDoc, type RunTag, type RunUpsert } from './types.js';

export interface SqliteRunStoreOptions {
  path: string;
  busyTimeoutMs: number;
  stateField: string;
  monitorCapBytes: number;
  /** rundb.user_filter compiled by mingo (see user-filter.ts). */
  userQuery: Query | null;
  /** rundb.legacy_state, when configured. */
  legacy?: LegacyState | null;
  /** /proc/self/mountinfo by default; tests point it at a recorded copy. */
  mountinfo?: string;
  logger?: Logger;
  now?: () => Date;
}

/** The `name` of a json_each element of `tags` (null for elements that are not objects). */
const TAG_NAME = `(CASE json_each.type WHEN 'object' THEN json_extract(json_each.value, '$.name') END)`;
/** A tag named by the parameter `param` exists in the row's tags. */
const tagNamed = (param: string) => `SELECT 1 FROM json_each(runs.doc, '$.tags') WHERE ${TAG_NAME} = ${param}`;

/**
 * The document's own number, to skip the same bad documents as listRuns (the row key alone does not say). Documents
 * daqflow writes start with `{"number":<row key>`, which is checked without parsing the JSON; others are parsed.
 */
const DOC_NUMBER = `CASE WHEN substr(r.doc, 1, 11 + length(r.number)) IN ('{"number":' || r.number || ',', '{"number":' || r.number || '}')
  THEN r.number ELSE r.doc ->> '$.number' END AS doc_number`;

interface Row {
  number: number;
  doc: string;
}

export class SqliteRunStore implements RunStore {
  readonly backend = 'sqlite' as const;
  readonly stateField: string;
  readonly location: string;
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly bad: BadDocReporter;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly options: SqliteRunStoreOptions) {
    this.stateField = options.stateField;
    this.location = options.path;
    this.now = options.now ?? (() => new Date());
    this.bad = new BadDocReporter(options.logger ?? nullLogger(), `${options.path} (table runs)`);
    this.db = openSqlite(options.path, options.busyTimeoutMs, { stateField: options.stateField, mountinfo: options.mountinfo });
  }

  async getRun(number: number, options: { fields?: readonly string[] } = {}): Promise<RunDoc | null> {
    assertRunNumber(number);
    return this.read('getRun', () => {
      const run = this.loadRun(number);
      return run && (options.fields ? this.pick(run, options.fields) : this.seen(run));
    });
  }

  async listRuns(query: RunQuery = {}): Promise<RunDoc[]> {
    validateQuery(query);
    return this.read('listRuns', () => {
      if (query.fields && !this.userFilterApplies(query)) {
        const projected = this.selectProjected(query, query.fields);
        if (projected) return projected;
      }
      const runs = this.select(query, query.limit);
      return runs.map((r) => (query.fields ? this.pick(r, query.fields) : this.seen(r)));
    });
  }

  async listRunNumbers(query: RunQuery = {}): Promise<number[]> {
    validateQuery(query);
    return this.read('listRunNumbers', () => {
      // The user filter is a query on whole documents: decoded as listRuns decodes them.
      if (this.userFilterApplies(query)) return this.select(query, query.limit).map((r) => r.number);
      const { sql, params } = selectRunsSql(query, { legacy: this.options.legacy, stateField: this.stateField, columns: DOC_NUMBER });
      const out: number[] = [];
      const limit = query.limit !== undefined && query.limit > 0 ? query.limit : Infinity;
      for (const row of this.stmt(sql).iterate(...params) as IterableIterator<{ number: number; doc_number: unknown }>) {
        if (row.doc_number !== row.number && !this.loadRun(row.number)) continue;
        out.push(row.number);
        if (out.length >= limit) break;
      }
      return out;
    });
  }

  async countRuns(query: RunQuery = {}): Promise<number> {
    validateQuery(query);
    return this.read('countRuns', () => {
      if (this.userFilterApplies(query)) return this.select(query, undefined).length;
      const { sql, params } = selectRunsSql(query, { count: true, legacy: this.options.legacy, stateField: this.stateField });
      return (this.stmt(sql).get(...params) as { n: number }).n;
    });
  }

  async upsertRun(run: RunUpsert): Promise<UpsertResult> {
    assertRunNumber(run.number);
    return this.write('upsertRun', () => this.merge(run));
  }

  /** $set semantics: given top-level fields replace, every other field stays; data lists only on creation (inside the caller's transaction). */
  private merge(run: RunUpsert): UpsertResult {
    const existing = this.loadRun(run.number, true);
    const next: RunDoc = { ...(existing ?? {}), number: run.number };
    for (const [key, value] of Object.entries(run)) if (value !== undefined && !(existing && INSERT_ONLY.has(key))) next[key] = value;
    this.save(next);
    return { created: existing === null, run: this.seen(next) };
  }

  async upsertRuns(runs: readonly RunUpsert[]): Promise<{ created: number; updated: number }> {
    for (const run of runs) assertRunNumber(run.number);
    return this.write('upsertRuns', () => {
      let created = 0;
      for (const run of runs) if (this.merge(run).created) created++;
      return { created, updated: runs.length - created };
    });
  }

  async claimRun(number: number, stage: string, options: ClaimOptions): Promise<RunDoc | null> {
    assertRunNumber(number);
    validateQuery({ stage, states: options.from });
    return this.write('claimRun', () => {
      const run = this.loadRun(number);
      if (!run || !stateMatches(this.seen(run), this.stateField, stage, options.from) || !isDue(run, this.stateField, stage, options.dueBy)) return null;
      applyClaim(run, this.stateField, stage, options, this.now(), randomUUID());
      this.save(run);
      return this.pick(run, SUMMARY_FIELDS);
    });
  }

  async claimNext(stage: string, options: ClaimNextOptions): Promise<RunDoc | null> {
    const query: RunQuery = { ...options.query, stage, states: options.from, dueBy: options.dueBy };
    validateQuery(query);
    return this.write('claimNext', () => {
      const run = this.select(query, 1)[0];
      if (!run) return null;
      applyClaim(run, this.stateField, stage, options, this.now(), randomUUID());
      this.save(run);
      return this.pick(run, SUMMARY_FIELDS);
    });
  }

  async updateStage(number: number, stage: string, update: StageUpdate): Promise<RunDoc | null> {
    assertRunNumber(number);
    validateQuery({ stage, states: update.expect });
    return this.write('updateStage', () => this.applyUpdate(number, stage, update));
  }

  async updateStages(stage: string, updates: readonly { number: number; update: StageUpdate }[]): Promise<number> {
    for (const u of updates) {
      assertRunNumber(u.number);
      validateQuery({ stage, states: u.update.expect });
    }
    return this.write('updateStages', () => updates.filter((u) => this.applyUpdate(u.number, stage, u.update) !== null).length);
  }

  /** One guarded stage update inside the caller's transaction; null when the run is missing or a guard fails. */
  private applyUpdate(number: number, stage: string, update: StageUpdate): RunDoc | null {
    const run = this.loadRun(number);
    if (!run || (update.expect && !stateMatches(this.seen(run), this.stateField, stage, update.expect))) return null;
    if (update.expectClaimId !== undefined && stageOf(run, this.stateField, stage)?.claim_id !== update.expectClaimId) return null;
    applyStageUpdate(run, this.stateField, stage, update, this.now());
    this.save(run);
    return this.pick(run, SUMMARY_FIELDS);
  }

  async addData(number: number, entry: DataEntry): Promise<RunDoc | null> {
    assertRunNumber(number);
    const problem = validateDataEntry(entry);
    if (problem) throw new ConfigError(`run ${number}: ${problem}`, { context: { run: number } });
    return this.write('addData', () => {
      const run = this.loadRun(number);
      if (!run) return null;
      const stored = storedDataEntry(entry, this.now());
      run.data = withDataEntry(run.data, stored);
      this.save(run);
      return { ...this.pick(run, DATA_FIELDS), data: run.data.filter((e) => sameEntry(e, stored)) };
    });
  }

  async removeData(number: number, match: DataMatch, info: { by: string; reason: string }): Promise<DeletedDataEntry[]> {
    assertRunNumber(number);
    return this.write('removeData', () => {
      const run = this.loadRun(number);
      if (!run) return [];
      const { kept, moved } = withoutDataEntries(run.data, match, info, this.now());
      if (moved.length === 0) return [];
      run.data = kept;
      run.deleted_data = [...(run.deleted_data ?? []), ...moved];
      this.save(run);
      return moved;
    });
  }

  async addTag(number: number, tag: RunTag): Promise<boolean> {
    assertRunNumber(number);
    // One statement: appended only when no tag of that name is there (tags absent or null start a new list).
    const sql = `UPDATE runs SET doc = json_set(doc, '$.tags', json_insert(CASE json_type(doc, '$.tags') WHEN 'array' THEN json_extract(doc, '$.tags') ELSE '[]' END, '$[#]', json(?)))
      WHERE number = ? AND coalesce(json_type(doc, '$.tags'), 'null') IN ('array', 'null') AND NOT EXISTS (${tagNamed('?')})`;
    return this.write('addTag', () => this.stmt(sql).run(encodeDoc(tag), number, tag.name).changes > 0);
  }

  async removeTag(number: number, name: string): Promise<boolean> {
    assertRunNumber(number);
    const sql = `UPDATE runs SET doc = json_set(doc, '$.tags', (SELECT json_group_array(value) FROM json_each(runs.doc, '$.tags') WHERE ${TAG_NAME} IS NOT @name))
      WHERE number = @number AND EXISTS (${tagNamed('@name')})`;
    return this.write('removeTag', () => this.stmt(sql).run({ number, name }).changes > 0);
  }

  async heartbeat(beat: Heartbeat): Promise<void> {
    this.write('heartbeat', () => putHeartbeat(this.db, beat, this.now()));
  }

  async listHosts(options: { since?: Date } = {}): Promise<HostDoc[]> {
    return this.read('listHosts', () => listHostRows(this.db, options.since));
  }

  async addMonitorSample(sample: Record<string, unknown>): Promise<void> {
    this.read('addMonitorSample', () => putMonitorSample(this.db, sample, this.now(), this.options.monitorCapBytes));
  }

  async listMonitorSamples(options: { since?: Date; limit?: number } = {}): Promise<MonitorSample[]> {
    return this.read('listMonitorSamples', () => listMonitorRows(this.db, options.since, options.limit));
  }

  async getConfigDoc(name: string): Promise<ConfigDoc | null> {
    return this.read('getConfigDoc', () => getConfigRow(this.db, name));
  }

  async setConfigDoc(name: string, fields: Record<string, unknown>): Promise<ConfigDoc> {
    const doc: ConfigDoc = { ...fields, name, updated_at: this.now() };
    this.write('setConfigDoc', () => putConfigRow(this.db, doc));
    return doc;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private pick(run: RunDoc, fields: readonly string[]): RunDoc {
    return pickFields(this.seen(run), projectedKeys(fields, this.stateField, this.options.legacy?.field));
  }

  private userFilterApplies(query: RunQuery): boolean {
    return this.options.userQuery !== null && query.userFilter !== false;
  }

  /** Runs matching the query in number order, skipping bad documents; the user filter is applied here. */
  private select(query: RunQuery, limit: number | undefined): RunDoc[] {
    const filtered = this.userFilterApplies(query);
    // No SQL LIMIT: rows are read lazily, and skipped (bad or filtered-out) rows must not use up the limit.
    const { sql, params } = selectRunsSql(query, { legacy: this.options.legacy, stateField: this.stateField });
    const out: RunDoc[] = [];
    for (const row of this.stmt(sql).iterate(...params) as IterableIterator<Row>) {
      const run = this.decodeRow(row);
      if (!run || (filtered && !this.options.userQuery!.test(run))) continue;
      out.push(run);
      if (limit !== undefined && limit > 0 && out.length >= limit) break;
    }
    return out;
  }

  /**
   * listRuns({fields}) without a user filter: SQLite extracts only the projected keys, so whole documents (often large
   * `data` lists) are never parsed. Null when a key cannot be named in a JSON path (then whole documents are decoded).
   */
  private selectProjected(query: RunQuery, fields: readonly string[]): RunDoc[] | null {
    const keys = projectedKeys(fields, this.stateField, this.options.legacy?.field);
    const columns = projectionColumns(keys);
    if (columns === null) return null;
    const { sql, params } = selectRunsSql(query, { legacy: this.options.legacy, stateField: this.stateField, columns });
    const out: RunDoc[] = [];
    const limit = query.limit !== undefined && query.limit > 0 ? query.limit : Infinity;
    for (const row of this.stmt(sql).iterate(...params) as IterableIterator<Record<string, unknown> & { number: number }>) {
      const run = this.checked(decodeProjected(row, keys), row.number);
      if (!run) continue;
      out.push(this.seen(run));
      if (out.length >= limit) break;
    }
    return out;
  }

  private loadRun(number: number, raw = false): RunDoc | null {
    const row = this.stmt('SELECT number, doc FROM runs WHERE number = ?').get(number) as Row | undefined;
    if (!row) return null;
    return raw ? decodeDoc<RunDoc>(row.doc) : this.decodeRow(row);
  }

  /**
   * The run as the API returns it: with the legacy state filled in (rundb.legacy_state). Writes change the stored form,
   * so, as in MongoDB, a mapped state is never written unless an update sets the state.
   */
  private seen(run: RunDoc): RunDoc {
    return withLegacyState(run, this.stateField, this.options.legacy ?? null);
  }

  private decodeRow(row: Row): RunDoc | null {
    return this.checked(decodeDoc<Record<string, unknown>>(row.doc), row.number);
  }

  /** The document as a RunDoc, or null (warned once) when its number is bad or differs from its row key. */
  private checked(doc: Record<string, unknown>, rowNumber: number): RunDoc | null {
    const problem = runDocProblem(doc) ?? (doc.number !== rowNumber ? `number ${String(doc.number)} differs from its row key ${rowNumber}` : null);
    return problem ? this.bad.skip(doc, `number=${rowNumber}`, problem) : (doc as RunDoc);
  }

  /** Writes the document and its run_stage rows (inside the caller's transaction). */
  private save(run: RunDoc): void {
    this.stmt('INSERT INTO runs (number, doc) VALUES (?, ?) ON CONFLICT (number) DO UPDATE SET doc = excluded.doc').run(run.number, encodeDoc(run));
    this.stmt('DELETE FROM run_stage WHERE number = ?').run(run.number);
    const states = run[this.stateField];
    if (!states || typeof states !== 'object') return;
    const insert = this.stmt('INSERT INTO run_stage (number, stage, state, next_retry) VALUES (?, ?, ?, ?)');
    for (const [stage, sub] of Object.entries(states as Record<string, unknown>)) {
      if (!sub || typeof sub !== 'object') continue;
      const { state, next_retry } = sub as { state?: unknown; next_retry?: unknown };
      insert.run(run.number, stage, typeof state === 'string' ? state : null, timeColumn(next_retry));
    }
  }

  /** Prepared statements are cached: preparing costs more than running a one-row statement. */
  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private read<T>(op: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw sqliteError(error, this.options.path, this.options.busyTimeoutMs, op);
    }
  }

  /** A write: one BEGIN IMMEDIATE transaction, so concurrent processes serialise on the write lock. */
  private write<T>(op: string, fn: () => T): T {
    return this.read(op, () => this.db.transaction(fn).immediate());
  }
}
