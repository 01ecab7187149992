// The RunStore domain interface every runs-database backend implements (mongo, sqlite); see docs/RUNDB.md.
import type { Logger } from '../log/index.js';
import type {
  ConfigDoc,
  DataEntry,
  DeletedDataEntry,
  Heartbeat,
  HostDoc,
  MonitorSample,
  ProcessState,
  RunDoc,
  RunTag,
  RunUpsert,
  StageFields,
} from './types.js';

/** Which runs to list, count or claim. All given conditions must hold. */
export interface RunQuery {
  /** Inclusive lower bound of the run number. */
  min?: number;
  /** Inclusive upper bound of the run number. */
  max?: number;
  /** Only these run numbers. */
  numbers?: readonly number[];
  /** The stage that `states` and `dueBy` look at; required with either of them. */
  stage?: string;
  /** The stage's state is one of these; `pending` also matches runs that have no sub-document for the stage. */
  states?: readonly ProcessState[];
  /** Leaves out runs whose stage `next_retry` is later than this; runs without `next_retry` are due. */
  dueBy?: Date;
  /** Apply `rundb.user_filter` (default true). */
  userFilter?: boolean;
  /** By run number; default ascending. */
  order?: 'asc' | 'desc';
  /** At most this many runs; 0 or absent = no limit (on both backends, as in MongoDB). */
  limit?: number;
  /** Only these top-level fields (plus number and the state field), so large run documents are not transferred whole. */
  fields?: readonly string[];
}

/** A compare-and-set on `<state_field>.<stage>.state`. */
export interface ClaimOptions {
  /** The states the run may be in (pending includes "no sub-document"). */
  from: readonly ProcessState[];
  to: ProcessState;
  host: string;
  /** More stage fields to set in the same write (job_id, targets, scheduler …). */
  set?: StageFields;
  /** Only when the stage's next_retry is unset or not later than this. */
  dueBy?: Date;
}

export interface ClaimNextOptions extends ClaimOptions {
  /** Restricts the candidates further (window, numbers, user filter); stage/states/dueBy come from the claim. */
  query?: Pick<RunQuery, 'min' | 'max' | 'numbers' | 'userFilter' | 'order'>;
}

export interface StageUpdate {
  /** Fields of `<state_field>.<stage>` to set; `updated_at` is always set to now. */
  set?: StageFields;
  /** Fields of the stage sub-document to remove. */
  unset?: readonly string[];
  /** Added to `n_failures` in the same write. */
  incFailures?: number;
  /** Guard: only when the current state is one of these (pending includes "no sub-document"). */
  expect?: readonly ProcessState[];
  /**
   * Guard: only while the stage still carries this claim_id (set by every claim). The stale-claim rule releases exactly
   * the claim it judged stale, never a newer claim another host made meanwhile.
   */
  expectClaimId?: string;
}

/** Which data entries removeData moves; every given field must match. */
export interface DataMatch {
  type: string;
  host?: string;
  location?: string;
  lineage_hash?: string;
}

export interface UpsertResult {
  created: boolean;
  run: RunDoc;
}

export interface RunStore {
  readonly backend: 'mongo' | 'sqlite';
  /** The run-document field holding daqflow's per-stage state (rundb.state_field). */
  readonly stateField: string;
  /** Where the data lives, for log lines (credentials redacted). */
  readonly location: string;

  /** The whole run document, or with `fields` only those top-level fields (plus number and the state field). */
  getRun(number: number, options?: { fields?: readonly string[] }): Promise<RunDoc | null>;
  listRuns(query?: RunQuery): Promise<RunDoc[]>;
  /**
   * The numbers of the runs listRuns would return for the query (same conditions, order, limit and skipped bad
   * documents; `fields` is ignored), without reading their documents when no user filter applies.
   */
  listRunNumbers(query?: RunQuery): Promise<number[]>;
  countRuns(query?: RunQuery): Promise<number>;
  /**
   * Creates or updates: given top-level fields are set, every other field is kept. `data` and `deleted_data` are written
   * only when the run is created; an existing run keeps its lists (add entries with addData).
   */
  upsertRun(run: RunUpsert): Promise<UpsertResult>;
  /** upsertRun for many runs at once (one transaction in sqlite, unordered bulk writes in MongoDB). */
  upsertRuns(runs: readonly RunUpsert[]): Promise<{ created: number; updated: number }>;
  /** Atomically moves one run's stage from `from` to `to` for `host`; null when the run is not (or no longer) in `from`. */
  claimRun(number: number, stage: string, options: ClaimOptions): Promise<RunDoc | null>;
  /** Claims the first eligible run (lowest number unless order is desc); null when none is left. */
  claimNext(stage: string, options: ClaimNextOptions): Promise<RunDoc | null>;
  /** Updates `<state_field>.<stage>`; null when the run does not exist or the `expect` guard did not hold. */
  updateStage(number: number, stage: string, update: StageUpdate): Promise<RunDoc | null>;
  /**
   * Many updateStage calls in one round trip (one transaction in sqlite, one unordered bulk write in MongoDB), each with
   * its own guards; returns how many runs matched their guards. Which ones did is not reported: a caller that needs to
   * know repeats the single updates when the count falls short (guarded updates are safe to repeat).
   */
  updateStages(stage: string, updates: readonly { number: number; update: StageUpdate }[]): Promise<number>;
  /**
   * Adds a data entry, or sets its fields on the entry with the same (type, host, location); null when the run does not
   * exist. The returned run holds number, name, the state field and, in `data`, only that entry as stored.
   */
  addData(number: number, entry: DataEntry): Promise<RunDoc | null>;
  /** Moves matching data entries to `deleted_data` (with at, by, reason) in one write; returns what was moved. */
  removeData(number: number, match: DataMatch, info: { by: string; reason: string }): Promise<DeletedDataEntry[]>;
  /**
   * Adds `tag` to the run's tags unless a tag of the same name is there, in one targeted write (other tags and
   * concurrent changes are untouched); false when the run does not exist or already has such a tag.
   */
  addTag(number: number, tag: RunTag): Promise<boolean>;
  /** Removes every tag named `name` in one targeted write; false when the run does not exist or has no such tag. */
  removeTag(number: number, name: string): Promise<boolean>;
  /** Upserts the heartbeat of (host, command); `time` defaults to now. */
  heartbeat(beat: Heartbeat): Promise<void>;
  /** Every host heartbeat (optionally only those seen since a time), ordered by host and command. */
  listHosts(options?: { since?: Date }): Promise<HostDoc[]>;
  /** Appends a sample to the capped monitor collection; `time` defaults to now. */
  addMonitorSample(sample: Record<string, unknown>): Promise<void>;
  /** Samples in time order; `limit` keeps the newest ones. */
  listMonitorSamples(options?: { since?: Date; limit?: number }): Promise<MonitorSample[]>;
  getConfigDoc(name: string): Promise<ConfigDoc | null>;
  /** Replaces the named override document with `fields` (plus name and updated_at). */
  setConfigDoc(name: string, fields: Record<string, unknown>): Promise<ConfigDoc>;
  close(): Promise<void>;
}

export interface RunStoreOptions {
  /** Warnings (skipped documents, index problems) go here; default: dropped. */
  logger?: Logger;
  /** Injectable clock. */
  now?: () => Date;
  /** Stages whose MongoDB state index is checked at open (default DEFAULT_STAGES; `daqflow db init` creates them). */
  stages?: readonly string[];
  /** Check at open that what `daqflow db init` creates exists, warning about gaps (default true); never creates anything. */
  verifySetup?: boolean;
  /**
   * Read-only callers (report-status): a sqlite file that does not exist is not created — RunsDbNotCreatedError
   * instead. No effect on MongoDB, where opening creates nothing.
   */
  mustExist?: boolean;
}
