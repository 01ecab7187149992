// The runs database: RunStore interface, document types, the mongo and sqlite backends, and openRunStore.
export { openRunStore, chooseBackend } from './open.js';
export type {
  RunStore,
  RunStoreOptions,
  RunQuery,
  ClaimOptions,
  ClaimNextOptions,
  StageUpdate,
  DataMatch,
  UpsertResult,
} from './store.js';
export {
  PROCESS_STATES,
  DEFAULT_STAGES,
  stageOf,
  stageStateOf,
  type ProcessState,
  type StageState,
  type StageFields,
  type DataEntry,
  type DeletedDataEntry,
  type RunDoc,
  type RunTag,
  type RunUpsert,
  type Heartbeat,
  type HostDoc,
  type MonitorSample,
  type ConfigDoc,
} from './types.js';
// The backend classes are exported as types only, so importing this module does not load either driver.
export type { MongoRunStore } from './mongo.js';
export type { SqliteRunStore, SqliteRunStoreOptions } from './sqlite.js';
export { redactUri, redactText } from './redact.js';
export { RunsDbNotCreatedError } from './not-created.js';
export { compileUserFilter } from './user-filter.js';
export type { DbInitResult, SetupReport } from './db-init.js';
