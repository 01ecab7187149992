// auto-process: one crash-only pass of bootstrax/amstrax-style auto-processing per cron tick, safe across hosts.
import os from 'node:os';
import { workPaths } from '../config/resolve-paths.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/index.js';
import { createScheduler, type Scheduler, type SchedulerName } from '../batch/index.js';
import { runPass, type PassSummary, type RunContext, type RunOutcome, type StageWork, type SummaryHook } from '../pass/index.js';
import { openRunStore, type RunStore } from '../rundb/index.js';
import { STAGE } from './auto-process/constants.js';
import { settleFollowed, type SettleDeps } from './auto-process/settle.js';
import { followAll, inFlight, type Followed } from './auto-process/follow.js';
import { diskSample, keepHeartbeat, recover } from './auto-process/recovery.js';
import { planSubmission, type SubmissionPlan } from './auto-process/submission.js';
import { processTruthOf } from './auto-process/truth.js';

export { STAGE } from './auto-process/constants.js';

export interface AutoProcessOptions {
  config: Config;
  /** The config file in use (absolute) or null for built-in defaults; jobs load the same one. */
  configFile: string | null;
  /** `--set` overrides in effect; jobs get them too. */
  sets?: readonly string[];
  logger: Logger;
  store?: RunStore;
  schedulerImpl?: Scheduler;
  dryRun?: boolean;
  /** Only failed runs, whatever their retry time (`--retry-failed`). */
  retryFailed?: boolean;
  now?: () => Date;
  random?: () => number;
  hooks?: readonly SummaryHook[];
  handleSignals?: boolean;
}

/** The pass summary plus what only auto-process knows. */
export interface AutoProcessSummary extends PassSummary {
  auto_process: {
    scheduler: SchedulerName;
    /** Why nothing was submitted (pause switch, full disk, disabled), or null. */
    blocked: string | null;
    in_flight: number;
    free_slots: number;
    disk_used_fraction: number;
    job_ids: string[];
    submitted: { run: number; job_id: string; targets: string[] }[];
    /** Claims of killed passes put back to pending. */
    released: number[];
    dead_hosts: string[];
    /** Runs that reached auto_process.max_failures in this pass (left for a person). */
    gave_up: number[];
    /** Seconds spent in scheduler calls (status, submit), included in duration_s. */
    scheduler_s: number;
  };
}

/**
 * One auto-process pass (the operations manual of this stage):
 * 1. recovery: heartbeat (refreshed every heartbeat_s until the pass ends) and monitor sample, hosts silent for dead_host_s marked dead, runs claimed and never
 *    submitted for claim_timeout_s put back to pending (recovery.ts);
 * 2. follow: every run in flight is re-adopted through its recorded job and the scheduler asked once for all (follow.ts);
 * 3. select and limit: unless paused or the disk is full, the eligible runs best first, at most the free slots of
 *    max_jobs_in_flight and max_submit_per_pass (select.ts);
 * 4. claim each atomically and submit them as array jobs, targets reduced per auto_process.degrade (submission.ts);
 * 5. per run on the pass harness: a finished job's targets verified in storage → done with data entries; a failed,
 *    killed or vanished job → failed with reason, exit code and log tail, retried with backoff (settle.ts);
 *    newly submitted runs are handed off (`pending`).
 */
export async function runAutoProcess(options: AutoProcessOptions): Promise<AutoProcessSummary> {
  const { config, logger } = options;
  const now = options.now ?? (() => new Date());
  const host = config.host ?? os.hostname();
  const store = options.store ?? (await openRunStore(config, { logger }));
  try {
    const scheduler = options.schedulerImpl ?? (await createScheduler(config.scheduler, { logger }));
    const clock = schedulerClock();
    const own = clock.wrap(scheduler);
    // Jobs submitted before scheduler.kind changed are still followed, through a scheduler of their own kind.
    const others = new Map<SchedulerName, Promise<Scheduler>>();
    const otherKind = (kind: SchedulerName): Promise<Scheduler> => {
      if (!others.has(kind)) others.set(kind, createScheduler({ ...config.scheduler, kind }, { logger }).then(clock.wrap));
      return others.get(kind)!;
    };
    const extra: AutoProcessSummary['auto_process'] = {
      scheduler: scheduler.name, blocked: null, in_flight: 0, free_slots: 0, disk_used_fraction: 0, job_ids: [], submitted: [],
      released: [], dead_hosts: [], gave_up: [], scheduler_s: 0,
    };
    let stopHeartbeat = (): void => {};
    let followed = new Map<number, Followed>();
    let plan: SubmissionPlan = { submitted: new Map(), wouldSubmit: new Map() };
    const work: StageWork = {
      stage: STAGE,
      previewsDryRun: true,
      // The runs DB decided (next_retry, claims): the harness takes exactly this pass's runs; its ledger only records.
      selectsRuns: true,
      listSourceRuns: async () => {
        const disk = diskSample(workPaths(config).writeDir);
        extra.disk_used_fraction = disk.used_fraction;
        const targets = config.auto_process.targets ?? config.processing.targets;
        const beat = { host, state: 'pass', targets, disk };
        const recovered = await recover(store, config, { ...beat, dryRun: options.dryRun ?? false, now: now(), logger });
        if (!options.dryRun) stopHeartbeat = keepHeartbeat(store, config, beat, now, logger);
        extra.released = recovered.released;
        extra.dead_hosts = recovered.deadHosts;
        followed = await followAll(store, own, otherKind, (await inFlight(store)).values(), new Set([host, ...recovered.deadHosts]), (m) => logger.warn(m));
        plan = await planSubmission({ ...options, store, scheduler: own, host, now: now(), disk, followed, extra });
        return [...followed.keys(), ...plan.submitted.keys(), ...plan.wouldSubmit.keys()];
      },
      processRun: (run, ctx) => processRun(run, ctx),
      truth: () => processTruthOf(store),
    };
    const deps = (ctx: RunContext): SettleDeps => ({ config, store, host, now, dryRun: ctx.dryRun, logger: ctx.logger, random: options.random, gaveUp: extra.gave_up });
    const processRun = async (run: number, ctx: RunContext): Promise<RunOutcome> => {
      const job = plan.submitted.get(run);
      if (job) return { status: 'pending', state: 'submitted', reason: `submitted as ${scheduler.name} job ${job.job_id} (${job.targets.join(', ')})` };
      const would = plan.wouldSubmit.get(run);
      if (would) return { status: 'pending', state: 'submitted', reason: `would submit (${would.join(', ')})` };
      return settleFollowed(followed.get(run)!, deps(ctx));
    };
    if (!config.auto_process.enabled) extra.blocked = 'auto_process.enabled is false';
    let summary: PassSummary;
    try {
      summary = await runPass(config.auto_process.enabled ? work : { ...work, listSourceRuns: async () => [] }, {
        config, logger, mode: 'full', dryRun: options.dryRun, store, command: 'auto-process', now, random: options.random,
        hooks: options.hooks, handleSignals: options.handleSignals,
      });
    } finally {
      stopHeartbeat();
    }
    extra.scheduler_s = Math.round(clock.seconds() * 1000) / 1000;
    return { ...summary, auto_process: extra };
  } finally {
    if (!options.store) await store.close();
  }
}

/** Wraps schedulers so that the time spent in their calls is counted (reported apart from the pass's own time). */
function schedulerClock(): { wrap(inner: Scheduler): Scheduler; seconds(): number } {
  let ms = 0;
  const time = <T>(p: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    return p().finally(() => (ms += performance.now() - t0));
  };
  const wrap = (inner: Scheduler): Scheduler => {
    const scheduler = Object.create(inner) as Scheduler;
    scheduler.status = (refs) => time(() => inner.status(refs));
    scheduler.submit = (spec) => time(() => inner.submit(spec));
    return scheduler;
  };
  return { wrap, seconds: () => ms / 1000 };
}
export { processStateCounts } from './auto-process/state-counts.js';
