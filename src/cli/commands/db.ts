// `daqflow db init`: create and check the runs database's indexes and collections once (normal commands only verify them).
import type { CommandModule } from 'yargs';
import { ConfigError, EXIT } from '../../errors.js';
import { openCommandContext } from '../context.js';
import type { GlobalArgs } from '../global-options.js';

interface DbArgs extends GlobalArgs {
  action: 'init';
}

export const dbCommand: CommandModule<GlobalArgs, DbArgs> = {
  command: 'db <action>',
  describe: "Create the runs database's indexes and collections once",
  builder: (y) =>
    y
      .positional('action', { choices: ['init'] as const, describe: 'init: create what is missing, report conflicts; never drops anything' })
      .example('$0 db init', 'create the indexes daqflow needs on the configured runs database') as never,
  handler: async (argv) => {
    const ctx = await openCommandContext(argv, 'db');
    try {
      const { initRunsDb } = await import('../../rundb/db-init.js');
      const { backend, location, report } = await initRunsDb(ctx.config, { logger: ctx.logger });
      for (const line of report.created) ctx.logger.info(`created ${line}`);
      for (const line of report.ok) ctx.logger.info(`ok: ${line}`);
      for (const line of report.warnings) ctx.logger.warn(line);
      if (report.problems.length > 0) {
        throw new ConfigError(`runs DB ${location}: ${report.problems.length} problem(s) need a person: ${report.problems[0]}`, {
          problems: report.problems,
          context: { option: 'rundb' },
        });
      }
      argv.outcome.set({ exitCode: EXIT.ok, json: { backend, location, ...report } });
    } finally {
      await ctx.close();
    }
  },
};
