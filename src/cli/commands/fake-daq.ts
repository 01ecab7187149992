// `daqflow fake-daq`: write synthetic detector runs (live data, run record, truth) for demos, tests and benchmarks.
import type { CommandModule } from 'yargs';
import { ConfigError, EXIT } from '../../errors.js';
import type { FakeDaqOptions } from '../../stages/fake-daq.js';
import type { DaqCompressor } from '../../strax/engine/daq-live.js';
import { formatRunId, parseRunId, parseRunList } from '../../util/validate.js';
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
  layout: string;
  daqChunkS: number;
  daqOverlapS: number;
  threads: number;
  compressor: string;
  crossBoundaries: boolean;
  replay?: string;
  replayRun?: string;
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
      .option('layout', { type: 'string', default: 'daq', describe: 'daq (the DAQ\'s chunk folders, as redax writes them) or daqflow-live/1 (the old single-file format)' })
      .option('daq-chunk-s', { type: 'number', default: 1, describe: 'DAQ chunk length [s] (redax strax_chunk_length; redax default 5)' })
      .option('daq-overlap-s', { type: 'number', default: 0.1, describe: 'DAQ overlap window [s] (redax strax_chunk_overlap; redax default 0.5)' })
      .option('threads', { type: 'number', default: 4, describe: 'DAQ reader threads: one file per thread and chunk folder' })
      .option('compressor', { type: 'string', default: 'lz4', describe: 'DAQ file compressor: lz4, blosc or zstd' })
      .option('cross-boundaries', { type: 'boolean', default: false, describe: 'Also put an interaction across every DAQ chunk start (S1 0.5 ms before, S2 0.5 ms after)' })
      .option('replay', { type: 'string', describe: 'Instead of generating: replay the raw_records of --runs (one run) stored in this strax folder into the DAQ layout' })
      .option('replay-run', { type: 'string', describe: 'With --replay: write the replayed data as this run (default: the same run)' })
      .example('$0 fake-daq --runs 012100', 'write run 012100 (20 MB) under live.dir')
      .example('$0 fake-daq --runs 012100-012105 --size-mb 200 --seed 7', 'six runs of 200 MB each')
      .example('$0 fake-daq --runs 012100 --replay ./strax_data --replay-run 012200', 'stored raw_records of 012100 as DAQ live data of run 012200') as never,
  handler: async (argv) => {
    const ctx = await openCommandContext(argv, 'fake-daq');
    try {
      const runs = parseRunList(argv.runs, 'runs');
      const { workPaths } = await import('../../config/index.js');
      const { runFakeDaq } = await import('../../stages/fake-daq.js');
      const liveDir = argv.live ?? workPaths(ctx.config).liveDir;
      const daq = { layout: argv.layout as FakeDaqOptions['layout'], daqChunkS: argv.daqChunkS, daqOverlapS: argv.daqOverlapS, threads: argv.threads, compressor: argv.compressor as DaqCompressor };
      if (argv.replay !== undefined) {
        if (runs.length !== 1) throw new ConfigError(`--replay takes one run in --runs, got ${runs.length}`, { context: { option: 'runs' } });
        const { replayRawRecords } = await import('../../stages/fake-daq.js');
        const outputRun = argv.replayRun === undefined ? undefined : parseRunId(argv.replayRun, 'replay-run');
        const r = await replayRawRecords({ storageDir: argv.replay, run: formatRunId(runs[0]!), liveDir, outputRun, ...daq });
        ctx.logger.info(`run ${r.run}: replayed ${r.size_mb.toFixed(1)} MB of raw_records → ${r.dir}`);
        argv.outcome.set({ exitCode: EXIT.ok, json: { runs: [r] } });
        return;
      }
      const summary = await runFakeDaq({
        runs, liveDir, sizeMb: argv.sizeMb, rateHz: argv.rateHz, seed: argv.seed, pmts: argv.pmts, chunkMb: argv.chunkMb,
        darkRateHz: argv.darkRateHz, electronLifetimeUs: argv.electronLifetimeUs, crossBoundaries: argv.crossBoundaries, ...daq,
      });
      for (const r of summary.runs) ctx.logger.info(`run ${r.run}: ${r.size_mb.toFixed(1)} MB in ${r.chunks} chunks, ${r.interactions} interactions → ${r.dir}`);
      argv.outcome.set({ exitCode: EXIT.ok, json: summary });
    } finally {
      await ctx.close();
    }
  },
};
