// The run document and the other documents of the runs database, as the RunStore API returns them (times are Dates).

/** Process states of a stage: pending → claimed → submitted → running → done, or failed (retried), abandoned (by a person). */
export const PROCESS_STATES = ['pending', 'claimed', 'submitted', 'running', 'done', 'failed', 'abandoned'] as const;
export type ProcessState = (typeof PROCESS_STATES)[number];

/** The stages daqflow keeps state for; RunStore accepts any identifier, these get MongoDB indexes by default. */
export const DEFAULT_STAGES = ['process', 'import', 'migrate', 'rechunk'] as const;

/** `<state_field>.<stage>`: daqflow's state of one stage of one run. A missing sub-document means `pending`. */
export interface StageState {
  state: ProcessState;
  host?: string | null;
  job_id?: string | null;
  scheduler?: string | null;
  targets?: string[];
  n_failures?: number;
  reason?: string | null;
  next_retry?: Date | null;
  updated_at?: Date;
  [field: string]: unknown;
}

/** Fields of a stage sub-document that an update may set. */
export type StageFields = Partial<StageState>;

/** One stored copy of a data type of a run. (type, host, location) identifies it. */
export interface DataEntry {
  type: string;
  host: string;
  location: string;
  /** strax backend name; stored as `FileSytemBackend` (strax's spelling) unless given. */
  protocol?: string;
  /** `meta.lineage` is the full strax lineage, which straxen's RunDB frontend matches with `$elemMatch`. */
  meta?: { lineage?: Record<string, unknown>; [field: string]: unknown };
  lineage_hash?: string;
  n_chunks?: number;
  size_mb?: number;
  compressor?: string;
  at?: Date;
  [field: string]: unknown;
}

/** A removed data entry, kept under `deleted_data`: `at` is the deletion time, `added_at` the original `at`. */
export interface DeletedDataEntry extends DataEntry {
  at: Date;
  by: string;
  reason: string;
  added_at?: Date;
}

/**
 * A run document (XENONnT-style). daqflow owns only `<state_field>` (default `daqflow`), `data` and
 * `deleted_data`; every other field is kept as written by whoever wrote it.
 */
export interface RunDoc {
  number: number;
  name?: string;
  start?: Date;
  end?: Date;
  mode?: string;
  source?: string;
  tags?: RunTag[];
  files?: Array<{ name: string; size?: number; md5?: string; [field: string]: unknown }>;
  run_record?: Record<string, unknown>;
  data?: DataEntry[];
  deleted_data?: DeletedDataEntry[];
  [field: string]: unknown;
}

/** What upsertRun takes: the number plus any top-level fields to set. */
export type RunUpsert = Partial<RunDoc> & { number: number };

/** A host heartbeat (one document per host + command). */
export interface Heartbeat {
  host: string;
  command: string;
  pid: number;
  state: string;
  version: string;
  /** Default: now. */
  time?: Date;
  [field: string]: unknown;
}

/** A stored heartbeat; `time` is when the host was last seen. */
export interface HostDoc extends Heartbeat {
  time: Date;
}

export interface MonitorSample {
  time: Date;
  [field: string]: unknown;
}

/** A configuration override document of `daqflow_config`, found by `name`. */
export interface ConfigDoc {
  name: string;
  updated_at: Date;
  [field: string]: unknown;
}

/** The stage sub-document of a run, or undefined (which means pending). */
export function stageOf(run: RunDoc, stateField: string, stage: string): StageState | undefined {
  const states = run[stateField];
  if (!states || typeof states !== 'object') return undefined;
  const sub = (states as Record<string, unknown>)[stage];
  return sub && typeof sub === 'object' ? (sub as StageState) : undefined;
}

/** The process state of a stage; a run without the sub-document is pending. */
export function stageStateOf(run: RunDoc, stateField: string, stage: string): ProcessState {
  return stageOf(run, stateField, stage)?.state ?? 'pending';
}

/** One entry of a run's `tags` (straxen and the DAQ write `{name, user, date}`). */
export interface RunTag {
  name: string;
  [field: string]: unknown;
}
