// `daqflow fake-daq`: write synthetic detector runs (live data, run record, truth) for demos, tests and benchmarks.
import type { CommandModule } from 'yargs';
import { EXIT } from '../../errors.js';
import { parseRunList } from '../../util/validate.js';
import { openCommandContext } from '../context.js';
import type { GlobalArgs } from '../global-options.js';


interface FakeDaqArgs extends GlobalArgs {
  runs: string[];
  live?: string;
  sizeMb: number;
  rateHz: number;
  seed: number;
  pmts: number;
  chunkMb: number;
  darkRateHz: number;
  electronLifetimeUs: number;
}

export const fakeDaqCommand: CommandModule<GlobalArgs, FakeDaqArgs> = {
  command: 'fake-daq',
  describe: 'Write synthetic detector runs (live raw_records, run record, truth file)',
  builder: (y) =>
    y
      .option('runs', { type: 'string', array: true, demandOption: true, describe: 'Runs to write: 012100, 012100-012110, comma lists' })
      .option('live', { type: 'string', describe: 'Live data folder (default: live.dir)' })
      .option('size-mb', { type: 'number', default: 20, describe: 'Raw data per run [MB]' })
      .option('rate-hz', { type: 'number', default: 5, describe: 'Interaction rate [Hz]' })
      .option('seed', { type: 'number', default: 1, describe: 'PRNG seed (same seed, same bytes)' })
      .option('pmts', { type: 'number', default: 494, describe: 'Number of PMTs (about 51% in the top array)' })
      .option('chunk-mb', { type: 'number', default: 8, describe: 'Approximate size of one live chunk [MB]' })
      .option('dark-rate-hz', { type: 'number', default: 20, describe: 'Dark count rate per PMT [Hz]' })
      .option('electron-lifetime-us', { type: 'number', default: 5000, describe: 'Electron lifetime [µs]' })
      .example('$0 fake-daq --runs 012100', 'write run 012100 (20 MB) under live.dir')
      .example('$0 fake-daq --runs 012100-012105 --size-mb 200 --seed 7', 'six runs of 200 MB each') as never,
  handler: async (argv) => {
    const ctx = await openCommandContext(argv, 'fake-daq');
    try {
      const runs = parseRunList(argv.runs, 'runs');
      const { workPaths } = await import('../../config/index.js');
      const { runFakeDaq } = await import('../../stages/fake-daq.js');
      const liveDir = argv.live ?? workPaths(ctx.config).liveDir;
      const summary = await runFakeDaq({
        runs, liveDir, sizeMb: argv.sizeMb, rateHz: argv.rateHz, seed: argv.seed, pmts: argv.pmts, chunkMb: argv.chunkMb,
        darkRateHz: argv.darkRateHz, electronLifetimeUs: argv.electronLifetimeUs,
      });
      for (const r of summary.runs) ctx.logger.info(`run ${r.run}: ${r.size_mb.toFixed(1)} MB in ${r.chunks} chunks, ${r.interactions} interactions → ${r.dir}`);
      argv.outcome.set({ exitCode: EXIT.ok, json: summary });
    } finally {
      await ctx.close();
    }
  },
};
