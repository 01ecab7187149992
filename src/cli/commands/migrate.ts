// `daqflow migrate [runs…]`: archive imported runs (blob upload, MD5 round trip, archive copy in the runs DB).
import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global-options.js';
import { passOptions, passSelection, runPassCommand, type PassArgs } from '../pass-command.js';

interface MigrateArgs extends PassArgs {
  validate: boolean;
  overwrite: boolean;
}

export const migrateCommand: CommandModule<GlobalArgs, MigrateArgs> = {
  command: 'migrate [runs..]',
  describe: 'Archive imported runs: upload, verify by MD5 round trip, record the copy',
  builder: (y) =>
    passOptions(y, 'migrate')
      .option('validate', { type: 'boolean', default: false, describe: 'Parse the blob read back and check migrate.required_keys' })
      .option('overwrite', { type: 'boolean', default: false, describe: 'Replace an archived object whose content differs (never done without it)' })
      .example('$0 migrate --incremental', 'the cron pass: new imported runs and due retries')
      .example('$0 migrate --retry-failed-migrate --validate', 'retry failed runs and check the archived run records')
      .example('$0 migrate 012100 --overwrite', 'replace the archived blob of one run')
      .example('$0 migrate --dry-run --json', 'what a full pass would upload') as never,
  handler: async (argv) => {
    const selection = passSelection(argv, 'migrate');
    await runPassCommand(argv, 'migrate', selection, async (common) => {
      const { runMigrate } = await import('../../stages/migrate.js');
      return runMigrate({ ...common, overwrite: argv.overwrite, validate: argv.validate });
    });
  },
};
