// `daqflow auto-process`: one pass of automatic processing (recover, follow jobs, select, claim, submit) for cron.
import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global-options.js';
import { formatPassSummary, runStageCommand } from '../pass-command.js';

interface AutoProcessArgs extends GlobalArgs {
  retryFailed: boolean;
}

export const autoProcessCommand: CommandModule<GlobalArgs, AutoProcessArgs> = {
  command: 'auto-process',
  describe: 'One auto-processing pass (cron): recover, follow jobs, retry, submit',
  builder: (y) =>
    y
      .option('retry-failed', { type: 'boolean', default: false, describe: 'Submit only failed runs, whatever their retry time (below auto_process.max_failures)' })
      .example('$0 auto-process', 'cron, every 10 minutes on each processing host')
      .example('$0 auto-process --dry-run', 'show what the pass would release, settle and submit')
      .example('$0 auto-process --retry-failed --json', 'retry failed runs now; JSON summary') as never,
  handler: async (argv) => {
    const { runAutoProcess, processStateCounts } = await import('../../stages/auto-process.js');
    await runStageCommand(argv, 'auto-process', async (ctx) => {
      const summary = await runAutoProcess({
        config: ctx.config, configFile: ctx.configSource.startsWith('<') ? null : ctx.configSource, sets: argv.set,
        logger: ctx.logger, dryRun: argv.dryRun, retryFailed: argv.retryFailed,
      });
      if (!argv.json && !argv.quiet) {
        const a = summary.auto_process;
        const head = [
          a.blocked ? `submission blocked: ${a.blocked}` : null,
          a.released.length ? `released stale claims: ${a.released.join(', ')}` : null,
          a.dead_hosts.length ? `dead hosts: ${a.dead_hosts.join(', ')}` : null,
          a.gave_up.length ? `gave up (left for a person): ${a.gave_up.join(', ')}` : null,
          `${a.in_flight} in flight, ${a.free_slots} free slots, ${a.submitted.length} submitted${a.job_ids.length ? ` as ${a.scheduler} job ${a.job_ids.join(', ')}` : ''}`,
        ].filter((l): l is string => l !== null);
        process.stdout.write(`${head.join('\n')}\n${formatPassSummary(summary)}`);
      }
      return summary;
    }, { runsByState: processStateCounts });
  },
};
