// submit: wrap `straxer` for one or many runs in a batch job (one array job for many runs) and record it in the runs DB.
import os from 'node:os';
import { workPaths } from '../config/resolve-paths.js';
import type { Config } from '../config/schema.js';
import { ConfigError, errorMessage } from '../errors.js';
import type { Logger } from '../log/index.js';
import { BaseScheduler, createScheduler, jobSpecFromConfig, refKey, type JobRef, type JobSpec, type Scheduler, type SchedulerName } from '../batch/index.js';
import { openRunStore, type ProcessState, type RunStore } from '../rundb/index.js';
import { closeSummary, emptySummary, type PassSummary } from '../pass/summary.js';
import { formatRunId, validateTarget } from '../util/validate.js';
import type { LineageHashOf } from './submit/existing-output.js';
import { straxerJobCommand } from './submit/job-command.js';
import { STAGE, claimIdOf, planRuns, type Planned } from './submit/plan.js';
import { waitAndRecord } from './submit/record-outcomes.js';

export const OUTPUT_EXISTS_MODES = ['raise', 'overwrite', 'associate', 'add'] as const;
export type OutputExistsMode = (typeof OUTPUT_EXISTS_MODES)[number];


export interface SubmitOptions {
  config: Config;
  /** The config file in use (absolute) or null for built-in defaults; jobs load the same one. */
  configFile: string | null;
  /** `--set` overrides in effect; jobs get them too. */
  sets?: readonly string[];
  logger: Logger;
  runs: readonly number[];
  targets: readonly string[];
  scheduler?: SchedulerName;
  resources?: Partial<Pick<JobSpec, 'partition' | 'queue' | 'cpus' | 'memGb' | 'walltimeMin'>>;
  /** One array job for several runs (default: scheduler.use_arrays). */
  array?: boolean;
  /** Resubmit runs that are already claimed/submitted/running. */
  force?: boolean;
  outputExists?: OutputExistsMode;
  dryRun?: boolean;
  /** Poll until every job ends and record the outcome (default false: jobs record it themselves). */
  wait?: boolean;
  waitTimeoutMs?: number;
  store?: RunStore;
  schedulerImpl?: Scheduler;
  lineageHashOf?: LineageHashOf;
  now?: () => Date;
}

export interface SubmittedRun {
  run: number;
  job_id: string;
  array_task: number | null;
  stdout: string;
  stderr: string;
  state?: string;
  exit_code?: number | null;
}

/** The pass summary every command returns, plus what only submit knows. Submitted runs are `pending` until --wait sees them end. */
export interface SubmitSummary extends PassSummary {
  scheduler: SchedulerName;
  job_ids: string[];
  script: string | null;
  submit_command: string[] | null;
  submitted: SubmittedRun[];
  associated: { run: number; location: string }[];
}

/**
 * One submit:
 * 1. check the targets (runs arrive parsed) and pick the scheduler;
 * 2. plan each run from the runs DB: skip abandoned or in-flight runs, apply output_exists_mode (plan.ts);
 * 3. --dry-run stops here and returns the rendered script;
 * 4. claim every planned run atomically (a run another host claimed first is skipped);
 * 5. submit one array job per max_array_size runs (or one job per run), putting the claims back if the
 *    scheduler cannot be reached, and record job id, task and log paths per run;
 * 6. --wait: poll until the jobs end and record the outcomes (record-outcomes.ts).
 */
export async function runSubmit(options: SubmitOptions): Promise<SubmitSummary> {
  const { config, logger } = options;
  const now = options.now ?? (() => new Date());
  const host = config.host ?? os.hostname();
  const targets = options.targets.map((t) => validateTarget(t, 'target'));
  if (targets.length === 0) throw new ConfigError('submit: give at least one --target (e.g. --target event_info)', { context: { option: 'target' } });
  const scheduler = options.schedulerImpl ?? (await createScheduler({ ...config.scheduler, kind: options.scheduler ?? config.scheduler.kind }, { logger }));
  const started = now();
  const t0 = performance.now();
  const summary: SubmitSummary = {
    ...emptySummary(STAGE, { mode: 'submit', host, dryRun: options.dryRun, started }),
    scheduler: scheduler.name, job_ids: [], script: null, submit_command: null, submitted: [], associated: [],
  };
  summary.candidates = options.runs.length;
  const store = options.store ?? (await openRunStore(config, { logger }));
  try {
    const planned = await planRuns(options, store, targets, summary, host);
    if (planned.length === 0) return summary;
    const specs = buildSpecs(options, planned, targets);
    if (options.dryRun) {
      const rendered = scheduler instanceof BaseScheduler ? scheduler.render(specs[0]!) : null;
      summary.script = rendered?.script ?? null;
      summary.submit_command = rendered ? [scheduler.submitCommand, rendered.files.script] : null;
      summary.planned.push(...planned.map((p) => p.run));
      return summary;
    }
    await claimAll(store, planned, host, summary, options.force ?? false);
    const claimed = planned.filter((p) => !summary.skipped.some((s) => s.run === p.run));
    const refs = await submitClaimed(options, scheduler, store, claimed, targets, summary, logger);
    if (options.wait && refs.length > 0) await waitAndRecord(options, scheduler, store, refs, summary, now);
    return summary;
  } finally {
    closeSummary(summary, now(), Math.round(performance.now() - t0) / 1000);
    if (!options.store) await store.close();
  }
}

/** The part of submit's options a job spec needs (auto-process builds its own). */
export type SpecOptions = Pick<SubmitOptions, 'config' | 'configFile' | 'sets' | 'resources' | 'array'>;

export function buildSpecs(options: SpecOptions, planned: Planned[], targets: readonly string[]): JobSpec[] {
  const { config } = options;
  // Without a config file the job must still find this work dir, wherever the scheduler starts it.
  const baseSets = [...(options.sets ?? []), ...(options.configFile ? [] : [`work_dir=${workPaths(config).workDir}`])];
  const command = (p: Planned) =>
    straxerJobCommand(config, { run: p.run, targets, configFile: options.configFile, sets: [...baseSets, ...p.sets], claimId: p.claimId });
  const resources = Object.fromEntries(Object.entries(options.resources ?? {}).filter(([, v]) => v !== undefined && v !== null));
  // glibc keeps freed chunk buffers in per-thread arenas; with this threshold they go back to the system, which keeps
  // a 2-worker straxer near its memory budget on long runs (measured in docs/ENGINE.md). It must be set before start.
  const env = { MALLOC_MMAP_THRESHOLD_: '131072' };
  const useArray = (options.array ?? config.scheduler.use_arrays) && planned.length > 1;
  const first = formatRunId(planned[0]!.run);
  if (useArray) {
    const groups: Planned[][] = [];
    for (let i = 0; i < planned.length; i += config.scheduler.max_array_size) groups.push(planned.slice(i, i + config.scheduler.max_array_size));
    return groups.map((group) =>
      jobSpecFromConfig(config, {
        name: `straxer-${formatRunId(group[0]!.run)}-${formatRunId(group.at(-1)!.run)}`,
        command: command(group[0]!),
        arrayCommands: group.map(command),
        env,
        ...resources,
      }),
    );
  }
  return planned.map((p) => jobSpecFromConfig(config, { name: `straxer-${p.run === planned[0]!.run ? first : formatRunId(p.run)}`, command: command(p), env, ...resources }));
}

/** Compare-and-set every planned run to `claimed`; a run someone else claimed first is skipped. */
async function claimAll(store: RunStore, planned: Planned[], host: string, summary: SubmitSummary, force: boolean): Promise<void> {
  for (const p of planned) {
    const from: ProcessState[] = force ? ['pending', 'failed', 'done', 'claimed', 'submitted', 'running'] : ['pending', 'failed', 'done'];
    const claimed = await store.claimRun(p.run, STAGE, { from, to: 'claimed', host });
    if (!claimed) summary.skipped.push({ run: p.run, reason: 'claimed by another host or pass first' });
    else p.claimId = claimIdOf(store, claimed);
  }
}

/** What submitClaimed reports into: submit's summary, or auto-process's. */
export type SubmitReport = Pick<SubmitSummary, 'job_ids' | 'submitted' | 'pending'>;

/**
 * Submit claimed runs and record job id, task and log paths per run. Each run's job carries its claim id and the
 * record is guarded by it: a newer claim (a --force resubmit) is never overwritten, and a job that already moved its
 * run to running or done keeps that state while its job id and log paths are still recorded.
 */
export async function submitClaimed(
  options: SpecOptions,
  scheduler: Scheduler,
  store: RunStore,
  claimed: Planned[],
  targets: readonly string[],
  summary: SubmitReport,
  logger: Logger,
): Promise<JobRef[]> {
  if (claimed.length === 0) return [];
  const specs = buildSpecs(options, claimed, targets);
  const refs: JobRef[] = [];
  let offset = 0;
  for (const spec of specs) {
    const group = claimed.slice(offset, offset + (spec.arrayCommands?.length ?? 1));
    offset += group.length;
    let ref: JobRef;
    try {
      ref = await scheduler.submit(spec);
    } catch (error) {
      // Nothing may stay recorded as claimed for a job that does not exist.
      for (const p of claimed.slice(offset - group.length)) {
        await store.updateStage(p.run, STAGE, { set: { state: p.previous, reason: `submit failed: ${errorMessage(error)}` }, expect: ['claimed'], expectClaimId: p.claimId });
      }
      throw error;
    }
    refs.push(ref);
    summary.job_ids.push(ref.jobId);
    const tasks = ref.tasks ?? [ref];
    const jobs = group.map((p, i) => {
      const task = tasks[i]!;
      return {
        scheduler: scheduler.name, job_id: refKey(task), array_task: task.arrayTaskId ?? null, targets: [...targets],
        stdout: task.logPaths.stdout, stderr: task.logPaths.stderr, status_file: task.statusFile ?? null, script: task.script ?? null,
        walltime_min: task.walltimeMin ?? null, submitted_at: new Date(),
      };
    });
    // One round trip for the whole array job; only when some run was not `claimed` any more (its job was faster than
    // this write and owns it: running, done or failed) is each run recorded alone, keeping the state the job set.
    const recorded = await store.updateStages(STAGE, group.map((p, i) => ({ number: p.run, update: { set: { ...jobs[i]!, state: 'submitted', reason: null }, expect: ['claimed'], expectClaimId: p.claimId } })));
    if (recorded < group.length) {
      for (const [i, p] of group.entries()) {
        const done = await store.updateStage(p.run, STAGE, { set: { ...jobs[i]!, state: 'submitted', reason: null }, expect: ['claimed'], expectClaimId: p.claimId });
        if (!done && p.claimId) await store.updateStage(p.run, STAGE, { set: jobs[i]!, expectClaimId: p.claimId });
      }
    }
    for (const [i, p] of group.entries()) {
      const task = tasks[i]!;
      summary.submitted.push({ run: p.run, job_id: ref.jobId, array_task: task.arrayTaskId ?? null, stdout: task.logPaths.stdout, stderr: task.logPaths.stderr });
      summary.pending.push({ run: p.run, duration_s: 0, reason: `submitted as ${scheduler.name} job ${refKey(task)}` });
    }
    logger.info(`submitted ${group.length} run(s) as ${scheduler.name} job ${ref.jobId}${ref.tasks ? ` (array of ${ref.tasks.length})` : ''}`, {
      runs: group.map((p) => formatRunId(p.run)).join(','),
    });
  }
  return refs;
}

