// `straxer <run> --target T…`: process one run with the built-in engine; progress on a terminal, summary at the end.
import type { CommandModule } from 'yargs';
import { ConfigError, EXIT } from '../../errors.js';
import { formatRunId, parseRunId } from '../../util/validate.js';
import { openCommandContext } from '../context.js';
import type { GlobalArgs } from '../global-options.js';
import { toJson } from '../outcome.js';

interface StraxerArgs extends GlobalArgs {
  run?: string;
  target?: string[];
  storage?: string;
  live?: string;
  workers?: number;
  option: string[];
  fromScratch: boolean;
  listTargets: boolean;
  jobState: boolean;
  claim?: string;
  wait: boolean;
  follow: boolean;
  followTimeout: number;
}

export const straxerCommand: CommandModule<GlobalArgs, StraxerArgs> = {
  command: 'straxer [run]',
  describe: 'Process one run up to the requested data types (strax-compatible engine)',
  builder: (y) =>
    y
      .positional('run', { type: 'string', describe: 'Run id, e.g. 012100' })
      .option('target', { alias: 't', type: 'string', array: true, describe: 'Data types to produce (default: processing.targets)' })
      .option('storage', { type: 'string', describe: 'strax storage folder to read and write (default: storage.write_dir)' })
      .option('live', { type: 'string', describe: 'Live data folder (default: live.dir)' })
      .option('workers', { type: 'number', describe: 'Worker threads (default: processing.workers, else the number of cores)' })
      .option('option', { type: 'string', array: true, default: [] as string[], describe: 'Plugin option name=value (repeatable); same as --set processing.options.name=value' })
      .option('from-scratch', { type: 'boolean', default: false, describe: 'Ignore stored data and recompute everything' })
      .option('list-targets', { type: 'boolean', default: false, describe: 'List the data types that can be produced' })
      .option('job-state', { type: 'boolean', default: false, describe: 'Batch jobs (set by submit): record running → done | failed in the runs DB' })
      .option('claim', { type: 'string', describe: 'With --job-state (set by submit): the claim id that owns the run; a newer claim is never overwritten' })
      .option('wait', { type: 'boolean', default: false, describe: 'If another straxer is processing this run, wait for it (default: exit 75 naming it)' })
      .option('follow', { type: 'boolean', default: false, describe: 'Process the run while the DAQ writes it: wait for ready chunks until THE_END' })
      .option('follow-timeout', { type: 'number', default: 300, describe: '--follow: give up when no chunk became ready for this many seconds' })
      .example('$0 straxer 012100 --target event_info', 'process run 012100 up to event_info, reusing stored products')
      .example('$0 straxer 012100 -t peaks --option hit_min_amplitude=20 --workers 2', 'peaks with a changed threshold (new lineage)')
      .example('$0 straxer 012100 --follow', 'process run 012100 during data taking, chunk by chunk')
      .example('$0 straxer --list-targets', 'what can be produced (with the plugins of processing.plugins)') as never,
  handler: async (argv) => {
    if (argv.listTargets) {
      const { listTargets } = await import('../../stages/straxer.js');
      const ctx = await openCommandContext(argv, 'straxer');
      try {
        const targets = await listTargets(ctx.config);
        if (!argv.json) for (const t of targets) process.stdout.write(`${t.data_type.padEnd(14)} ${t.plugin} ${t.version}  ← ${t.depends_on.join(', ') || 'live data'}\n`);
        argv.outcome.set({ exitCode: EXIT.ok, json: { targets } });
      } finally {
        await ctx.close();
      }
      return;
    }
    if (argv.run === undefined) throw new ConfigError('straxer: name a run, e.g. straxer 012100 --target event_info', { context: { option: 'run' } });
    const run = formatRunId(parseRunId(argv.run));
    if (argv.workers !== undefined && !(Number.isInteger(argv.workers) && argv.workers >= 1)) {
      throw new ConfigError(`--workers must be a positive integer, got ${argv.workers}`, { context: { option: 'workers' } });
    }
    if (!(argv.followTimeout > 0)) throw new ConfigError(`--follow-timeout must be a positive number of seconds, got ${argv.followTimeout}`, { context: { option: 'follow-timeout' } });
    const { parseOptionAssignment } = await import('../../strax/engine/options.js');
    const pluginOptions = Object.fromEntries(argv.option.map((o) => parseOptionAssignment(o)));
    const ctx = await openCommandContext(argv, 'straxer');
    try {
      const { runStraxer } = await import('../../stages/straxer.js');
      const { progressReporter } = await import('./straxer-progress.js');
      const progress = progressReporter(!argv.json && !argv.quiet && process.stderr.isTTY === true, run);
      let summary;
      try {
        summary = await runStraxer({
          run, targets: argv.target ?? ctx.config.processing.targets, config: ctx.config, logger: ctx.logger,
          storageDir: argv.storage, liveDir: argv.live, workers: argv.workers, pluginOptions, fromScratch: argv.fromScratch,
          onProgress: progress.update, jobState: argv.jobState, claimId: validateClaimId(argv.claim), wait: argv.wait, follow: argv.follow, followTimeoutS: argv.followTimeout,
        });
      } finally {
        progress.stop();
      }
      if (!argv.json) process.stdout.write(progress.summary(summary));
      argv.outcome.set({ exitCode: EXIT.ok, json: JSON.parse(toJson(summary)) });
    } finally {
      await ctx.close();
    }
  },
};

/** A claim id is what the runs DB generated (a UUID); anything else on the command line is a usage error. */
function validateClaimId(claim: string | undefined): string | undefined {
  if (claim === undefined) return undefined;
  if (!/^[A-Za-z0-9-]{1,64}$/.test(claim)) throw new ConfigError(`--claim must be a claim id (letters, digits, -), got ${JSON.stringify(claim)}`, { context: { option: 'claim' } });
  return claim;
}
