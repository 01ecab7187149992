// submit: wrap `straxer` for one or many runs in a batch job (one array job for many runs) and record it in the runs DB.
import os from 'node:os';
import { workPaths } from '../config/resolve-paths.js';
import type { Config } from '../config/schema.js';
import { ConfigError, errorMessage } from '../errors.js';
import type { Logger } from '../log/index.js';
import { RetryPolicy } from '../pass/retry.js';
import { BaseScheduler, createScheduler, isSuccess, isTerminal, jobSpecFromConfig, refKey, waitForJobs, type JobRef, type JobSpec, type JobStatus, type Scheduler, type SchedulerName } from '../batch/index.js';
import { openRunStore, stageOf, type ProcessState, type RunStore } from '../rundb/index.js';
import { formatRunId, validateTarget } from '../util/validate.js';
import { existingOutput, nextAddDir, type LineageHashOf } from './submit/existing-output.js';
import { straxerJobCommand } from './submit/job-command.js';

export const OUTPUT_EXISTS_MODES = ['raise', 'overwrite', 'associate', 'add'] as const;
export type OutputExistsMode = (typeof OUTPUT_EXISTS_MODES)[number];

const STAGE = 'process';
const IN_FLIGHT: readonly ProcessState[] = ['claimed', 'submitted', 'running'];

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

export interface SubmitSummary {
  scheduler: SchedulerName;
  dry_run: boolean;
  job_ids: string[];
  script: string | null;
  submit_command: string[] | null;
  submitted: SubmittedRun[];
  associated: { run: number; location: string }[];
  skipped: { run: number; reason: string }[];
  failed: { run: number; reason: string }[];
}

interface Planned {
  run: number;
  previous: ProcessState;
  sets: string[];
}

export async function runSubmit(options: SubmitOptions): Promise<SubmitSummary> {
  const { config, logger } = options;
  const now = options.now ?? (() => new Date());
  const host = config.host ?? os.hostname();
  const targets = options.targets.map((t) => validateTarget(t, 'target'));
  if (targets.length === 0) throw new ConfigError('submit: give at least one --target (e.g. --target event_info)', { context: { option: 'target' } });
  const scheduler = options.schedulerImpl ?? (await createScheduler({ ...config.scheduler, kind: options.scheduler ?? config.scheduler.kind }, { logger }));
  const summary: SubmitSummary = {
    scheduler: scheduler.name, dry_run: options.dryRun ?? false, job_ids: [], script: null, submit_command: null,
    submitted: [], associated: [], skipped: [], failed: [],
  };
  const store = options.store ?? (await openRunStore(config, { logger }));
  try {
    const planned = await planRuns(options, store, targets, summary, host);
    if (planned.length === 0) return summary;
    const specs = buildSpecs(options, planned, targets);
    if (options.dryRun) {
      const rendered = scheduler instanceof BaseScheduler ? scheduler.render(specs[0]!) : null;
      summary.script = rendered?.script ?? null;
      summary.submit_command = rendered ? [scheduler.submitCommand, rendered.files.script] : null;
      summary.skipped.push(...planned.map((p) => ({ run: p.run, reason: 'dry run: would submit' })));
      return summary;
    }
    await claimAll(store, planned, host, summary, options.force ?? false);
    const claimed = planned.filter((p) => !summary.skipped.some((s) => s.run === p.run));
    const refs = await submitClaimed(options, scheduler, store, claimed, targets, summary, logger);
    if (options.wait && refs.length > 0) await waitAndRecord(options, scheduler, store, refs, summary, now);
    return summary;
  } finally {
    if (!options.store) await store.close();
  }
}

/** Decide per run: skip (in flight, abandoned), associate existing output, or plan a job. Writes nothing except `associate`. */
async function planRuns(options: SubmitOptions, store: RunStore, targets: string[], summary: SubmitSummary, host: string): Promise<Planned[]> {
  const paths = workPaths(options.config);
  const mode = options.outputExists ?? 'raise';
  const planned: Planned[] = [];
  for (const run of options.runs) {
    const doc = await store.getRun(run);
    const state = doc ? stageOf(doc, store.stateField, STAGE) : undefined;
    const current: ProcessState = state?.state ?? 'pending';
    if (current === 'abandoned') {
      summary.skipped.push({ run, reason: 'abandoned by a person; daqflow never touches it' });
      continue;
    }
    if (IN_FLIGHT.includes(current) && !options.force) {
      summary.skipped.push({ run, reason: `already ${current}${state?.job_id ? ` as job ${state.job_id}` : ''} (use --force to resubmit)` });
      continue;
    }
    const existing = (await Promise.all(targets.map((t) => existingOutput(paths.storageDirs, run, t, options.lineageHashOf)))).filter((p): p is string => p !== null);
    const sets: string[] = [];
    if (existing.length === targets.length || (existing.length > 0 && mode !== 'associate')) {
      if (mode === 'raise') {
        summary.failed.push({ run, reason: `output exists at ${existing.join(', ')} (choose --output-exists overwrite, associate or add)` });
        continue;
      }
      if (mode === 'associate' && existing.length === targets.length) {
        if (!options.dryRun) {
          if (!doc) await store.upsertRun({ number: run, name: formatRunId(run) });
          await store.updateStage(run, STAGE, { set: { state: 'done', host, targets, reason: `associated existing output ${existing.join(', ')}` } });
        }
        summary.associated.push(...existing.map((location) => ({ run, location })));
        continue;
      }
      if (mode === 'overwrite') sets.push('storage.overwrite=always');
      if (mode === 'add') sets.push(`storage.write_dir=${await nextAddDir(paths.writeDir, run, targets, options.lineageHashOf)}`);
    }
    if (!doc && !options.dryRun) await store.upsertRun({ number: run, name: formatRunId(run) });
    planned.push({ run, previous: current, sets });
  }
  return planned;
}

function buildSpecs(options: SubmitOptions, planned: Planned[], targets: string[]): JobSpec[] {
  const { config } = options;
  // Without a config file the job must still find this work dir, wherever the scheduler starts it.
  const baseSets = [...(options.sets ?? []), ...(options.configFile ? [] : [`work_dir=${workPaths(config).workDir}`])];
  const command = (p: Planned) => straxerJobCommand(config, { run: p.run, targets, configFile: options.configFile, sets: [...baseSets, ...p.sets] });
  const resources = Object.fromEntries(Object.entries(options.resources ?? {}).filter(([, v]) => v !== undefined && v !== null));
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
        ...resources,
      }),
    );
  }
  return planned.map((p) => jobSpecFromConfig(config, { name: `straxer-${p.run === planned[0]!.run ? first : formatRunId(p.run)}`, command: command(p), ...resources }));
}

/** Compare-and-set every planned run to `claimed`; a run someone else claimed first is skipped. */
async function claimAll(store: RunStore, planned: Planned[], host: string, summary: SubmitSummary, force: boolean): Promise<void> {
  for (const p of planned) {
    const from: ProcessState[] = force ? ['pending', 'failed', 'done', 'claimed', 'submitted', 'running'] : ['pending', 'failed', 'done'];
    const claimed = await store.claimRun(p.run, STAGE, { from, to: 'claimed', host });
    if (!claimed) summary.skipped.push({ run: p.run, reason: 'claimed by another host or pass first' });
  }
}

async function submitClaimed(
  options: SubmitOptions,
  scheduler: Scheduler,
  store: RunStore,
  claimed: Planned[],
  targets: string[],
  summary: SubmitSummary,
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
        await store.updateStage(p.run, STAGE, { set: { state: p.previous, reason: `submit failed: ${errorMessage(error)}` }, expect: ['claimed'] });
      }
      throw error;
    }
    refs.push(ref);
    summary.job_ids.push(ref.jobId);
    const tasks = ref.tasks ?? [ref];
    for (const [i, p] of group.entries()) {
      const task = tasks[i]!;
      await store.updateStage(p.run, STAGE, {
        set: {
          state: 'submitted', scheduler: scheduler.name, job_id: refKey(task), array_task: task.arrayTaskId ?? null, targets,
          stdout: task.logPaths.stdout, stderr: task.logPaths.stderr, status_file: task.statusFile ?? null, script: task.script ?? null,
          reason: null,
        },
        expect: ['claimed'],
      });
      summary.submitted.push({ run: p.run, job_id: ref.jobId, array_task: task.arrayTaskId ?? null, stdout: task.logPaths.stdout, stderr: task.logPaths.stderr });
    }
    logger.info(`submitted ${group.length} run(s) as ${scheduler.name} job ${ref.jobId}${ref.tasks ? ` (array of ${ref.tasks.length})` : ''}`, {
      runs: group.map((p) => formatRunId(p.run)).join(','),
    });
  }
  return refs;
}

/** --wait: poll until every job ends, then record what the scheduler (or the job's status file) says. */
async function waitAndRecord(options: SubmitOptions, scheduler: Scheduler, store: RunStore, refs: JobRef[], summary: SubmitSummary, now: () => Date): Promise<void> {
  const statuses = await waitForJobs(scheduler, refs, {
    timeoutMs: options.waitTimeoutMs,
    maxDelayMs: options.config.scheduler.poll_interval_s * 1000,
  });
  const policy = new RetryPolicy(options.config.retry);
  for (const entry of summary.submitted) {
    const key = entry.array_task === null ? entry.job_id : `${entry.job_id}_${entry.array_task}`;
    const status: JobStatus = statuses.get(key) ?? { state: 'unknown', source: 'artifact', reason: 'no status' };
    entry.state = status.state;
    entry.exit_code = status.exitCode ?? null;
    if (!isTerminal(status.state)) continue;
    const doc = await store.getRun(entry.run);
    const stage = doc ? stageOf(doc, store.stateField, STAGE) : undefined;
    if (isSuccess(status.state)) {
      if (stage?.state !== 'done') await store.updateStage(entry.run, STAGE, { set: { state: 'done', reason: null }, expect: ['submitted', 'running'] });
      continue;
    }
    const reason = `job ${key} ${status.state}${status.exitCode !== undefined ? ` (exit ${status.exitCode})` : ''}${status.logTail ? `: ${status.logTail.split('\n').slice(-3).join(' | ')}` : ''}`;
    summary.failed.push({ run: entry.run, reason });
    if (stage?.state === 'failed') continue;
    const decision = policy.afterFailure(stage?.n_failures ?? 0, now());
    await store.updateStage(entry.run, STAGE, {
      set: { state: 'failed', reason, next_retry: decision.nextRetry, n_failures: decision.nFailures },
      expect: ['submitted', 'running'],
    });
  }
}
