// `daqflow import`: register finished run folders (run record, file inventory) in the runs DB.
import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global-options.js';
import { passOptions, passSelection, runPassCommand, type PassArgs } from '../pass-command.js';

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
    await runPassCommand(argv, 'import', selection, async (common) => {
      const { runImport } = await import('../../stages/import.js');
      return runImport(common);
    });
  },
};
