// Public surface of src/batch: the Scheduler interface, the three adapters, job scripts, parsers and helpers.
export type { Scheduler } from './scheduler.js';
export {
  JOB_STATES, TERMINAL_STATES, expandRefs, isSuccess, isTerminal, refKey,
  type DependencyKind, type JobDependency, type JobLogPaths, type JobRef, type JobSpec, type JobState, type JobStatus,
  type SchedulerName, type StatusSource,
} from './types.js';
export { BaseScheduler, type BatchLogger, type RenderedJob, type SchedulerOptions } from './base.js';
export { SlurmScheduler } from './slurm.js';
export { PbsScheduler, type PbsSchedulerOptions } from './pbs.js';
export { LocalScheduler, LOCAL_RUNNER, type LocalSchedulerOptions } from './local.js';
export { createScheduler, jobSpecFromConfig, type CreateSchedulerOptions, type SchedulerConfig } from './factory.js';
export { backoffDelay, waitForJobs, type WaitOptions } from './wait.js';
export { directive, directiveArgs, directiveLines, formatDirective, renderJobScript, renderTaskMap, type Directive, type ScriptDialect } from './script.js';
export { jobFiles, taskFiles, type JobFiles } from './job-files.js';
export { hasEnd, parseStatusFile, readLogTail, readStatusFile, statusFromRecord, type StatusRecord } from './status-file.js';
export { validateJobSpec } from './validate-spec.js';
export {
  expandArrayIds, mapSlurmState, parseExitCode, parseSacct, parseSbatchOutput, parseScontrolShowJob, parseSqueue, slurmServiceDown,
  type SacctRow, type SbatchResult, type SqueueRow,
} from './slurm-parse.js';
export { attribute, mapPbsState, parseQsubOutput, parseQstatF, pbsServiceDown, type PbsFlavor, type PbsState, type QsubResult, type QstatRecord } from './pbs-parse.js';
