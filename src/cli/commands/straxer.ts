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
      .example('$0 straxer 012100 --target event_info', 'process run 012100 up to event_info, reusing stored products')
      .example('$0 straxer 012100 -t peaks --option hit_min_amplitude=20 --workers 2', 'peaks with a changed threshold (new lineage)')
      .example('$0 straxer --list-targets', 'what can be produced') as never,
  handler: async (argv) => {
    if (argv.listTargets) {
      const { listTargets } = await import('../../stages/straxer.js');
      const targets = listTargets();
      if (!argv.json) for (const t of targets) process.stdout.write(`${t.data_type.padEnd(14)} ${t.plugin} ${t.version}  ← ${t.depends_on.join(', ') || 'live data'}\n`);
      argv.outcome.set({ exitCode: EXIT.ok, json: { targets } });
      return;
    }
    if (argv.run === undefined) throw new ConfigError('straxer: name a run, e.g. straxer 012100 --target event_info', { context: { option: 'run' } });
    const run = formatRunId(parseRunId(argv.run));
    if (argv.workers !== undefined && !(Number.isInteger(argv.workers) && argv.workers >= 1)) {
      throw new ConfigError(`--workers must be a positive integer, got ${argv.workers}`, { context: { option: 'workers' } });
    }
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
          onProgress: progress.update, jobState: argv.jobState,
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
