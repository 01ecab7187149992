// `daqflow migrate [run…]`: archive imported runs (blob upload, MD5 round trip, archive copy in the runs DB).
import type { CommandModule } from 'yargs';
import { ConfigError } from '../../errors.js';
import type { PassMode } from '../../pass/index.js';
import { parseRunList } from '../../util/validate.js';
import type { GlobalArgs } from '../global-options.js';
import { runStageCommand } from '../pass-command.js';

interface MigrateArgs extends GlobalArgs {
  run: string[];
  incremental: boolean;
  retryFailedMigrate: boolean;
  validate: boolean;
  overwrite: boolean;
}

function modeOf(argv: MigrateArgs): PassMode {
  if (argv.incremental && argv.retryFailedMigrate) {
    throw new ConfigError('choose one of --incremental and --retry-failed-migrate: they select different runs', { context: { option: 'incremental' } });
  }
  return argv.retryFailedMigrate ? 'retry-failed' : argv.incremental ? 'incremental' : 'full';
}

export const migrateCommand: CommandModule<GlobalArgs, MigrateArgs> = {
  command: 'migrate [run..]',
  describe: 'Archive imported runs: upload, verify by MD5 round trip, record the copy',
  builder: (y) =>
    y
      .positional('run', { type: 'string', array: true, default: [], describe: 'Only these runs: 012100, 012100-012200, or comma lists' })
      .option('incremental', { type: 'boolean', default: false, describe: 'Only runs above the ledger mark, plus failed runs whose retry time has come' })
      .option('retry-failed-migrate', { type: 'boolean', default: false, describe: 'Only runs whose migration failed before' })
      .option('validate', { type: 'boolean', default: false, describe: 'Parse the blob read back and check migrate.required_keys' })
      .option('overwrite', { type: 'boolean', default: false, describe: 'Replace an archived object whose content differs (never done without it)' })
      .example('$0 migrate --incremental', 'the cron pass: new imported runs and due retries')
      .example('$0 migrate --retry-failed-migrate --validate', 'retry failed runs and check the archived run records')
      .example('$0 migrate 012100 --overwrite', 'replace the archived blob of one run')
      .example('$0 migrate --dry-run --json', 'what a full pass would upload') as never,
  handler: async (argv) => {
    const mode = modeOf(argv);
    const runs = argv.run.length ? parseRunList(argv.run, 'run') : undefined;
    await runStageCommand(argv, 'migrate', async (ctx) => {
      const { runMigrate } = await import('../../stages/migrate.js');
      return runMigrate({
        config: ctx.config,
        logger: ctx.logger,
        mode,
        runs,
        dryRun: argv.dryRun,
        overwrite: argv.overwrite,
        validate: argv.validate,
      });
    });
  },
};
