// `daqflow import`: register finished run folders (run record, file inventory) in the runs DB.
import type { CommandModule } from 'yargs';
import { openCommandContext } from '../context.js';
import type { GlobalArgs } from '../global-options.js';
import { formatPassSummary, passOptions, passProgress, passSelection, type PassArgs } from '../pass-command.js';

export const importCommand: CommandModule<GlobalArgs, PassArgs> = {
  command: 'import [runs..]',
  describe: 'Register finished run folders (run record, files with MD5) in the runs DB',
  builder: (y) =>
    passOptions(y, 'import')
      .example('$0 import --incremental', 'cron: new runs and due retries')
      .example('$0 import', 'full pass: every run whose folder changed since its import, or that was never imported')
      .example('$0 import --retry-failed-import', 'retry every failed run now')
      .example('$0 import 012100 --dry-run', 'show what importing run 012100 would change') as never,
  handler: async (argv) => {
    const selection = passSelection(argv, 'import');
    const ctx = await openCommandContext(argv, 'import');
    const progress = passProgress(!argv.json && !argv.quiet && process.stderr.isTTY === true, 'import');
    try {
      const { runImport } = await import('../../stages/import.js');
      const summary = await runImport({
        config: ctx.config, logger: ctx.logger, mode: selection.mode, runs: selection.runs, concurrency: selection.concurrency,
        dryRun: argv.dryRun, onSelected: progress.onSelected, onSettled: progress.onSettled,
      });
      progress.stop();
      if (!argv.json && !argv.quiet) process.stdout.write(formatPassSummary(summary));
      argv.outcome.set({ summary });
    } finally {
      progress.stop();
      await ctx.close();
    }
  },
};
