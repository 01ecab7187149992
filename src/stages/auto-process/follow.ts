// auto-process, step 4: re-adopt in-flight jobs from the runs DB, ask the scheduler about all of them at once, settle each.
import { isSuccess, isTerminal, refKey, type JobRef, type JobStatus, type Scheduler, type SchedulerName } from '../../batch/index.js';
import type { Config } from '../../config/schema.js';
import { RetryPolicy } from '../../pass/retry.js';
import { stageOf, type ProcessState, type RunDoc, type RunStore, type StageState } from '../../rundb/index.js';
import { PROCESS, STAGE } from './constants.js';

const IN_FLIGHT: readonly ProcessState[] = ['submitted', 'running'];
/** Failures whose kind the job itself cannot know: the scheduler's word becomes the reason. */
const SCHEDULER_KILLS = new Set(['cancelled', 'timeout', 'out_of_memory', 'node_fail']);

export interface Followed {
  doc: RunDoc;
  state: StageState;
  /** The scheduler's word on the job; undefined when the run has no job this scheduler can be asked about. */
  status?: JobStatus;
}

/**
 * Runs to follow: `process` submitted/running with a job id, plus runs this stage handed off (`auto_process`
 * submitted) whose job has already recorded done or failed, which still need verifying or counting.
 */
export async function inFlight(store: RunStore): Promise<Map<number, RunDoc>> {
  const found = new Map<number, RunDoc>();
  const fields = ['start', 'end'];
  for (const doc of await store.listRuns({ stage: PROCESS, states: IN_FLIGHT, userFilter: false, fields })) found.set(doc.number, doc);
  for (const doc of await store.listRuns({ stage: STAGE, states: ['submitted'], userFilter: false, fields })) found.set(doc.number, doc);
  return found;
}

/**
 * The job reference stored with a run's processing state (parent id and task for array tasks): the one submit recorded,
 * else the one the job recorded about itself when it started (`job_self`: the submitter was killed before recording).
 */
export function storedRef(state: StageState): JobRef | null {
  if (typeof state.job_id === 'string' && typeof state.scheduler === 'string') return refOf(state, state.walltime_min);
  const self = state.job_self;
  if (self && typeof self === 'object' && typeof (self as StageState).job_id === 'string' && typeof (self as StageState).scheduler === 'string') {
    return refOf(self as StageState, undefined);
  }
  return null;
}

function refOf(fields: Record<string, unknown>, walltimeMin: unknown): JobRef {
  const jobIdText = String(fields.job_id);
  const task = typeof fields.array_task === 'number' ? fields.array_task : undefined;
  const jobId = task === undefined ? jobIdText : jobIdText.slice(0, jobIdText.length - `_${task}`.length);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    scheduler: fields.scheduler as SchedulerName, jobId, ...(task === undefined ? {} : { arrayTaskId: task }),
    statusFile: str(fields.status_file), logPaths: { stdout: str(fields.stdout) ?? '', stderr: str(fields.stderr) ?? '' },
    ...(typeof walltimeMin === 'number' ? { walltimeMin } : {}),
  };
}

/** The scheduler to ask about jobs of one kind: this pass's own, or one built for jobs submitted before `scheduler.kind` changed. */
export type SchedulerFor = (name: SchedulerName) => Promise<Scheduler>;

/**
 * One status call per scheduler kind for every job this host follows: the runs it submitted (`submitted_by`, else the
 * recorded host) and those of hosts found dead. Jobs submitted under another kind (before `scheduler.kind` changed)
 * are asked of that kind; when it cannot answer here, they get no status and a warning, and the pass goes on.
 */
export async function followAll(
  store: RunStore, own: Scheduler, schedulerFor: SchedulerFor, docs: Iterable<RunDoc>, owners: ReadonlySet<string>,
  warn: (message: string) => void,
): Promise<Map<number, Followed>> {
  const out = new Map<number, Followed>();
  const byKind = new Map<SchedulerName, Map<number, JobRef>>();
  for (const doc of docs) {
    const state = stageOf(doc, store.stateField, PROCESS);
    if (!state || !owners.has(String(state.submitted_by ?? state.host))) continue;
    out.set(doc.number, { doc, state });
    const ref = storedRef(state);
    if (!ref || !IN_FLIGHT.concat(['failed']).includes(state.state)) continue;
    if (!byKind.has(ref.scheduler)) byKind.set(ref.scheduler, new Map());
    byKind.get(ref.scheduler)!.set(doc.number, ref);
  }
  for (const [kind, refs] of byKind) {
    let statuses: Map<string, JobStatus>;
    if (kind === own.name) statuses = await own.status([...refs.values()]);
    else {
      try {
        statuses = await (await schedulerFor(kind)).status([...refs.values()]);
      } catch (error) {
        // The pass's own scheduler being down is an outage (exit 4); an old kind missing on this host is not.
        const runs = [...refs.keys()].map((r) => String(r).padStart(6, '0')).join(', ');
        warn(`cannot ask ${kind} about runs ${runs} submitted before scheduler.kind became ${own.name}: ${(error as Error).message}`);
        continue;
      }
    }
    for (const [run, ref] of refs) {
      const status = statuses.get(refKey(ref));
      if (status) out.get(run)!.status = status;
    }
  }
  return out;
}

/** Whether a job the scheduler no longer knows and that left no status file has been gone long enough to count as vanished. */
export function vanished(f: Followed, now: Date, graceS: number): boolean {
  if (!f.status || f.status.state !== 'unknown' || f.status.source !== 'artifact') return false;
  const since = f.state.submitted_at instanceof Date ? f.state.submitted_at : f.state.updated_at;
  return !(since instanceof Date) || now.getTime() - since.getTime() > graceS * 1000;
}

export const jobEnded = (f: Followed): boolean => f.status !== undefined && isTerminal(f.status.state);
export const jobSucceeded = (f: Followed): boolean => f.status !== undefined && isSuccess(f.status.state);

/** The failure reason: the scheduler's state first (cancelled, timeout …), exit code, and the log's last lines. */
export function failureReason(f: Followed, isVanished: boolean): string {
  const s = f.status;
  if (isVanished || !s) return `vanished: job ${jobName(f.state)} is unknown to the scheduler and left no status file`;
  const exit = s.exitCode !== undefined ? ` (exit ${s.exitCode})` : '';
  const tail = s.logTail ? `: ${s.logTail.trim().split('\n').slice(-3).join(' | ')}` : '';
  return `${s.state}: job ${jobName(f.state)}${exit}${s.reason ? `, ${s.reason}` : ''}${tail}`;
}

/** A run the job recorded failed after the scheduler killed it: whether its reason should name the scheduler's state. */
export function needsSchedulerReason(f: Followed): boolean {
  return f.state.state === 'failed' && f.status !== undefined && SCHEDULER_KILLS.has(f.status.state) && !String(f.state.reason ?? '').startsWith(f.status.state);
}

/** Retry policy of auto-process: the shared formula, with auto_process.max_failures as the limit. */
export function autoRetryPolicy(config: Config, random?: () => number): RetryPolicy {
  return new RetryPolicy({ ...config.retry, max_failures: config.auto_process.max_failures }, random);
}

/** The job's id for messages: the one submit recorded, else the one the job recorded about itself. */
export function jobName(state: StageState): string {
  const ref = storedRef(state);
  return ref ? refKey(ref) : '(none recorded)';
}
