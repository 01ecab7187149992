// Builds the configured Scheduler (`scheduler.kind`, with `auto` detection) and JobSpecs from the scheduler config.
import { workPaths } from '../config/resolve-paths.js';
import type { Config } from '../config/schema.js';
import type { BatchLogger, SchedulerOptions } from './base.js';
import { LocalScheduler } from './local.js';
import type { PbsFlavor } from './pbs-parse.js';
import { PbsScheduler } from './pbs.js';
import type { Scheduler } from './scheduler.js';
import { SlurmScheduler } from './slurm.js';
import type { JobSpec } from './types.js';

export type SchedulerConfig = Config['scheduler'];

export interface CreateSchedulerOptions {
  logger?: BatchLogger;
  env?: Record<string, string>;
  /** PBS dialect (default `scheduler.pbs_flavor`); `auto` asks `qstat --version`. */
  pbsFlavor?: PbsFlavor | 'auto';
  /** Local array tasks running at once (default `scheduler.local_max_parallel`). */
  localMaxParallel?: number;
}

function build(kind: 'slurm' | 'pbs' | 'local', config: SchedulerConfig, options: CreateSchedulerOptions): Scheduler {
  const base: SchedulerOptions = { commandTimeoutS: config.command_timeout_s, logger: options.logger, env: options.env };
  if (kind === 'slurm') return new SlurmScheduler(base);
  if (kind === 'pbs') return new PbsScheduler({ ...base, flavor: options.pbsFlavor ?? config.pbs_flavor });
  return new LocalScheduler({ ...base, maxParallel: options.localMaxParallel ?? config.local_max_parallel });
}

/** `auto` picks slurm when sbatch answers, else pbs when qstat answers, else local. */
export async function createScheduler(config: SchedulerConfig, options: CreateSchedulerOptions = {}): Promise<Scheduler> {
  if (config.kind !== 'auto') return build(config.kind, config, options);
  for (const kind of ['slurm', 'pbs'] as const) {
    const candidate = build(kind, config, options);
    if (await candidate.available()) return candidate;
  }
  return build('local', config, options);
}

/** A JobSpec with the resources, directives and job dir from config; the caller adds name and command(s). */
export function jobSpecFromConfig(
  config: Config,
  job: Pick<JobSpec, 'name' | 'command'> & Partial<JobSpec>,
): JobSpec {
  const s = config.scheduler;
  return {
    cpus: s.cpus,
    memGb: s.mem_gb,
    walltimeMin: s.walltime_min,
    partition: s.partition,
    queue: s.queue,
    account: s.account,
    qos: s.qos,
    extraDirectives: s.extra_directives,
    skipDirectives: s.skip_directives,
    jobDir: workPaths(config).jobsDir,
    ...job,
  };
}
