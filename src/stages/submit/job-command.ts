// The argv a batch job runs for one run: `daqflow straxer <run> --target … --config <file> --job-state`.
import path from 'node:path';
import type { Config } from '../../config/schema.js';
import { PACKAGE_ROOT } from '../../cli/package-info.js';
import { formatRunId } from '../../util/validate.js';

/** How a job calls daqflow: `scheduler.daqflow_command`, else this very installation (node + bin/daqflow.js). */
export function daqflowCommand(config: Config): string[] {
  if (config.scheduler.daqflow_command.length > 0) return [...config.scheduler.daqflow_command];
  return [process.execPath, path.join(PACKAGE_ROOT, 'bin', 'daqflow.js')];
}

export interface StraxerJobArgs {
  run: number;
  targets: readonly string[];
  /** The config file the submitting pass used (absolute), or null for the built-in defaults. */
  configFile: string | null;
  /** `--set` overrides the job must see too (the submitter's, plus e.g. an `add` storage dir). */
  sets: readonly string[];
  /** The claim that owns the run: the job's state updates are guarded by it (`straxer --claim`). */
  claimId?: string;
}

export function straxerJobCommand(config: Config, args: StraxerJobArgs): string[] {
  return [
    ...daqflowCommand(config),
    'straxer',
    formatRunId(args.run),
    '--target',
    ...args.targets,
    // The job records running → done | failed in the runs DB itself, so the state is right even if nobody polls.
    '--job-state',
    ...(args.claimId ? ['--claim', args.claimId] : []),
    ...(args.configFile ? ['--config', args.configFile] : []),
    ...args.sets.flatMap((s) => ['--set', s]),
  ];
}
