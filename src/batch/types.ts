// The data every scheduler adapter speaks: job specs, job references, the closed job-state union and statuses.

/** Where a job ends up, as far as daqflow knows. `unknown` is never success. */
export type JobState =
  | 'pending'
  | 'running'
  | 'completing'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'timeout'
  | 'out_of_memory'
  | 'node_fail'
  | 'unknown';

export const JOB_STATES: readonly JobState[] = [
  'pending', 'running', 'completing', 'completed', 'failed', 'cancelled', 'timeout', 'out_of_memory', 'node_fail', 'unknown',
];

/** States after which the job will not change any more. `unknown` is not terminal: ask again later. */
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set<JobState>([
  'completed', 'failed', 'cancelled', 'timeout', 'out_of_memory', 'node_fail',
]);

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.has(state);
}

/** Only `completed` is success; `unknown` never is. */
export function isSuccess(state: JobState): boolean {
  return state === 'completed';
}

export type SchedulerName = 'slurm' | 'pbs' | 'local';

export type StatusSource = 'squeue' | 'scontrol' | 'sacct' | 'sacct -c' | 'qstat' | 'artifact' | 'pidfile';

export interface JobStatus {
  state: JobState;
  /** The payload's exit code when known (from the status file or the scheduler). */
  exitCode?: number;
  /** Why: the scheduler's reason, or how daqflow decided. */
  reason?: string;
  /** The scheduler's native state word (`FAILED`, `C`, …). */
  raw?: string;
  source: StatusSource;
  stdoutPath?: string;
  stderrPath?: string;
  /** Last lines of stderr (else stdout) for jobs that did not complete. */
  logTail?: string;
}

export interface JobLogPaths {
  stdout: string;
  stderr: string;
  /** The scheduler-level log (output before the script redirects itself; all tasks of an array share it). */
  scheduler?: string;
}

/** A submitted job or array task. Plain JSON, so it can be stored in the runs DB and re-adopted later. */
export interface JobRef {
  scheduler: SchedulerName;
  /** The id the scheduler printed (`12345`, `17.server`, `17[].server`; the runner pid for local). */
  jobId: string;
  /** Set on array tasks; the task is addressed as `<jobId>_<arrayTaskId>`. */
  arrayTaskId?: number;
  /** The status file the job script writes (per task for arrays). */
  statusFile?: string;
  logPaths: JobLogPaths;
  /** On an array parent: one ref per task. `status()` expands a parent into its tasks. */
  tasks?: JobRef[];
  /** The rendered job script. */
  script?: string;
  /** Wall-time limit in minutes (used to tell a time-limit kill from a cancel in status files). */
  walltimeMin?: number;
}

export type DependencyKind = 'afterok' | 'afterany' | 'afternotok';

export interface JobDependency {
  kind: DependencyKind;
  jobIds: string[];
}

/** What to run and with which resources; adapters map it to directives. */
export interface JobSpec {
  /** Job name: letters, digits, `_ . + -` (it becomes part of file names). */
  name: string;
  /** argv of the payload of a single job, e.g. ['daqflow','straxer','012100','--target','event_info']. */
  command: string[];
  /** For an array job: one argv per task (task i runs arrayCommands[i]); `command` is then ignored. */
  arrayCommands?: string[][];
  /** Array throttle (`%max` on Slurm); local runs at most this many tasks at once. */
  arrayMaxParallel?: number;
  cpus: number;
  memGb: number;
  walltimeMin: number;
  partition?: string | null;
  queue?: string | null;
  account?: string | null;
  qos?: string | null;
  dependency?: JobDependency;
  /** Raw directive lines appended after the generated ones (`--gres=gpu:1`, `-l place=scatter`). */
  extraDirectives: string[];
  /** Generated directive lines containing any of these strings are dropped. */
  skipDirectives: string[];
  env?: Record<string, string>;
  /** Scripts and logs go to `<jobDir>/<yyyy-mm>/`. */
  jobDir: string;
}

/** The key of a ref in status maps: `ID` or `ID_N` for array tasks. */
export function refKey(ref: Pick<JobRef, 'jobId' | 'arrayTaskId'>): string {
  return ref.arrayTaskId === undefined ? ref.jobId : `${ref.jobId}_${ref.arrayTaskId}`;
}

/** Array parents become their tasks; everything else stays as it is. */
export function expandRefs(refs: readonly JobRef[]): JobRef[] {
  return refs.flatMap((ref) => (ref.tasks && ref.tasks.length > 0 ? ref.tasks : [ref]));
}
