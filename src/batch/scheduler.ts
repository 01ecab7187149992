// The one interface every batch scheduler adapter implements (slurm, pbs, local).
import type { JobRef, JobSpec, JobStatus, SchedulerName } from './types.js';

export interface Scheduler {
  readonly name: SchedulerName;
  /** The program that submits (`sbatch`, `qsub`, or the local runner). */
  readonly submitCommand: string;
  readonly cancelCommand: string;
  /** Whether this scheduler can be used on this machine (its commands exist and answer). */
  available(): Promise<boolean>;
  /** Validate the spec, write the job script (and task map), submit, and return the job's ref. */
  submit(spec: JobSpec): Promise<JobRef>;
  /**
   * The state of many jobs with ONE scheduler call (plus fallbacks only for jobs the first source
   * no longer knows). Keyed by `refKey(ref)`; an array parent is expanded into its tasks.
   */
  status(refs: JobRef[]): Promise<Map<string, JobStatus>>;
  /** Cancel jobs; cancelling a finished or unknown job is not an error. */
  cancel(refs: JobRef[]): Promise<void>;
}

export type { JobRef, JobSpec, JobStatus, SchedulerName };
