// `daqflow clean`: delete only what is provably safe to delete (ajax, AlphaKraken's remover); a dry run unless --execute.
import type { CommandModule } from 'yargs';
import { ConfigError } from '../../errors.js';
import { parseRunList } from '../../util/validate.js';
import type { GlobalArgs } from '../global-options.js';
import { formatPassSummary, passProgress, runStageCommand } from '../pass-command.js';

interface CleanArgs extends GlobalArgs {
  runs: string[];
  execute: boolean;
}

export const cleanCommand: CommandModule<GlobalArgs, CleanArgs> = {
  command: 'clean [runs..]',
  describe: 'Delete data that is provably safe to delete (dry run unless --execute); record deletions in the runs DB',
  builder: (y) =>
    y
      .positional('runs', { type: 'string', array: true, default: [] as string[], describe: 'Only these runs: 012100, 012100-012200, comma lists' })
      .option('execute', { type: 'boolean', default: false, describe: 'Really delete, forget and quarantine (without it: report only)' })
      .example('$0 clean', 'show what a pass would delete, forget and quarantine, and what it would keep and why')
      .example('$0 clean --execute', 'cron: clean for real (rules under clean.rules in the config)')
      .example('$0 clean 012100 --json', 'what cleaning run 012100 would do, as JSON') as never,
  handler: async (argv) => {
    if (argv.execute && argv.dryRun) throw new ConfigError('choose --execute or --dry-run, not both', { context: { option: 'execute' } });
    const runs = argv.runs.length ? parseRunList(argv.runs, 'runs') : undefined;
    const progress = passProgress(!argv.json && !argv.quiet && process.stderr.isTTY === true, 'clean');
    try {
      await runStageCommand(argv, 'clean', async (ctx) => {
        const { runClean } = await import('../../stages/clean.js');
        const summary = await runClean({
          config: ctx.config, logger: ctx.logger, runs, dryRun: !argv.execute, onSelected: progress.onSelected, onSettled: progress.onSettled,
        });
        progress.stop();
        if (!argv.json && !argv.quiet) {
          const c = summary.clean;
          const done = summary.done.map((d) => `${d.run}: ${d.detail ?? ''}`);
          const kept = c.actions.filter((a) => a.action === 'kept').map((a) => `kept ${a.run} ${a.type} ${a.location}: ${a.reason}`);
          const head = `${summary.dry_run ? 'dry run (nothing changed; --execute to act): ' : ''}${(c.freed_bytes / 1e9).toFixed(3)} GB ${summary.dry_run ? 'would be ' : ''}freed, ${c.quarantined} folders quarantined, ${c.kept} kept by a guard`;
          process.stdout.write(`${[...done, ...kept, head].join('\n')}\n${formatPassSummary(summary)}`);
        }
        return summary;
      });
    } finally {
      progress.stop();
    }
  },
};
