// `daqflow rechunk`: restrax for strax data — merge, recompress, verify and swap datasets into the production folder or in place.
import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global-options.js';
import { passOptions, passSelection, runPassCommand, type PassArgs } from '../pass-command.js';

interface RechunkArgs extends PassArgs {
  process?: string;
  bypass: boolean;
  deepCompare: boolean;
}

export const rechunkCommand: CommandModule<GlobalArgs, RechunkArgs> = {
  command: 'rechunk [runs..]',
  describe: 'Rechunk and recompress strax data into the production folder, or in place without rechunk.dest_dir (restrax), verify, swap, update the runs DB',
  builder: (y) =>
    passOptions(y, 'rechunk')
      .option('process', { type: 'string', requiresArg: true, describe: 'Only this run (same as giving it as the runs argument)' })
      .option('bypass', { type: 'boolean', default: false, describe: 'Move the datasets without rechunking (emergencies)' })
      .option('deep-compare', { type: 'boolean', default: false, describe: 'Decompress both copies and compare every byte before the swap' })
      .example('$0 rechunk --incremental', 'cron: new runs and due retries')
      .example('$0 rechunk --process 012100 --deep-compare', 'one run, every byte compared')
      .example('$0 rechunk --dry-run', 'show the rule each data type would get') as never,
  handler: async (argv) => {
    const selection = passSelection({ ...argv, runs: argv.process !== undefined ? [...argv.runs, argv.process] : argv.runs }, 'rechunk');
    await runPassCommand(argv, 'rechunk', selection, async (common) => {
      const { runRechunk } = await import('../../stages/rechunk.js');
      return runRechunk({ ...common, bypass: argv.bypass, deepCompare: argv.deepCompare });
    });
  },
};
