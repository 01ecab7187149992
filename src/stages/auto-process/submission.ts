// auto-process, steps 3–4: limit, claim each eligible run atomically, submit them as array jobs with submit's code.
import type { Scheduler } from '../../batch/index.js';
import { isTerminal } from '../../batch/index.js';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log/index.js';
import type { RunStore } from '../../rundb/index.js';
import { stageOf } from '../../rundb/index.js';
import { submitClaimed, type SubmitReport } from '../submit.js';
import type { Planned } from '../submit/plan.js';
import { claimIdOf } from '../submit/plan.js';
import type { AutoProcessSummary } from '../auto-process.js';
import { PROCESS } from './constants.js';
import { degradeFor, type Degraded } from './degrade.js';
import type { Followed } from './follow.js';
import type { DiskSample } from './recovery.js';
import { eligibleRuns, submissionBlocked } from './select.js';
import { workPaths } from '../../config/resolve-paths.js';

export interface SubmissionPlan {
  /** Runs submitted in this pass: job id and targets. */
  submitted: Map<number, { job_id: string; targets: string[] }>;
  /** --dry-run: runs that would be submitted, with their targets. */
  wouldSubmit: Map<number, string[]>;
}

export interface SubmissionInput {
  config: Config;
  configFile: string | null;
  sets?: readonly string[];
  logger: Logger;
  store: RunStore;
  scheduler: Scheduler;
  host: string;
  now: Date;
  dryRun?: boolean;
  retryFailed?: boolean;
  disk: DiskSample;
  followed: ReadonlyMap<number, Followed>;
  extra: AutoProcessSummary['auto_process'];
}

/**
 * Free slots = max_jobs_in_flight − runs claimed, submitted or running (jobs this pass found ended do not count),
 * at most max_submit_per_pass. Each eligible run is claimed with a compare-and-set (a run another host claimed first
 * is passed over), then runs of one degrade step go out as one array job.
 */
export async function planSubmission(input: SubmissionInput): Promise<SubmissionPlan> {
  const { config, store, extra } = input;
  const plan: SubmissionPlan = { submitted: new Map(), wouldSubmit: new Map() };
  const busy = await store.countRuns({ stage: PROCESS, states: ['claimed', 'submitted', 'running'], userFilter: false });
  const ended = [...input.followed.values()].filter((f) => ['submitted', 'running'].includes(f.state.state) && f.status && isTerminal(f.status.state)).length;
  extra.in_flight = busy - ended;
  extra.free_slots = Math.max(0, config.auto_process.max_jobs_in_flight - extra.in_flight);
  extra.blocked ??= await submissionBlocked(store, config, workPaths(config).workDir, input.disk);
  if (extra.blocked) {
    input.logger.info(`nothing submitted: ${extra.blocked}`);
    return plan;
  }
  const want = Math.min(extra.free_slots, config.auto_process.max_submit_per_pass);
  // More candidates than slots: runs another host claims first are passed over and the next ones taken.
  const eligible = await eligibleRuns(store, config, { now: input.now, retryFailed: input.retryFailed ?? false, want: want * 3 });
  const groups = new Map<number, { degraded: Degraded; runs: Planned[] }>();
  let taken = 0;
  for (const doc of eligible) {
    if (taken >= want) break;
    const state = stageOf(doc, store.stateField, PROCESS);
    const degraded = degradeFor(config, state?.n_failures ?? 0);
    if (input.dryRun) {
      plan.wouldSubmit.set(doc.number, degraded.targets);
      taken++;
      continue;
    }
    const previous = state?.state ?? 'pending';
    const claimed = await store.claimRun(doc.number, PROCESS, {
      from: [previous], to: 'claimed', host: input.host, dueBy: input.retryFailed ? undefined : input.now,
      // A new claim starts without the previous job's fields, so recovery never mistakes it for a submitted one.
      set: { job_id: null, job_self: null, submitted_at: null, targets: degraded.targets, submitted_by: input.host },
    });
    if (!claimed) continue;
    taken++;
    const group = groups.get(degraded.step) ?? { degraded, runs: [] };
    group.runs.push({ run: doc.number, previous, sets: [], claimId: claimIdOf(store, claimed) });
    groups.set(degraded.step, group);
  }
  for (const { degraded, runs } of groups.values()) {
    const report: SubmitReport = { job_ids: [], submitted: [], pending: [] };
    const walltimeMin = Math.round(config.scheduler.walltime_min * degraded.walltimeFactor);
    const resources = { walltimeMin, ...(degraded.cpus ? { cpus: degraded.cpus } : {}) };
    // The degraded job's straxer writes with the step's compressor; it comes after the operator's --sets so it wins.
    const sets = [...(input.sets ?? []), ...(degraded.compressor ? [`processing.compressor=${degraded.compressor}`] : [])];
    await submitClaimed({ config, configFile: input.configFile, sets, resources, array: true }, input.scheduler, store, runs, degraded.targets, report, input.logger);
    extra.job_ids.push(...report.job_ids);
    for (const s of report.submitted) {
      const jobId = s.array_task === null ? s.job_id : `${s.job_id}_${s.array_task}`;
      plan.submitted.set(s.run, { job_id: jobId, targets: degraded.targets });
      extra.submitted.push({ run: s.run, job_id: jobId, targets: degraded.targets });
    }
  }
  return plan;
}
