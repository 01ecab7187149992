// `daqflow submit <runs…> --target T…`: process runs on the batch system (one array job for many runs).
import type { CommandModule } from 'yargs';
import { parseWalltimeMinutes } from '../../util/walltime.js';
import { parseRunList } from '../../util/validate.js';
import { openCommandContext } from '../context.js';
import type { GlobalArgs } from '../global-options.js';


interface SubmitArgs extends GlobalArgs {
  runs: string[];
  target: string[];
  scheduler?: 'slurm' | 'pbs' | 'local';
  partition?: string;
  queue?: string;
  cpus?: number;
  mem?: number;
  time?: string;
  array: boolean;
  force: boolean;
  outputExists: 'raise' | 'overwrite' | 'associate' | 'add';
  wait: boolean;
  waitTimeout?: number;
}

export const submitCommand: CommandModule<GlobalArgs, SubmitArgs> = {
  command: 'submit <runs..>',
  describe: 'Process runs on Slurm/PBS (or locally): one array job for many runs',
  builder: (y) =>
    y
      .positional('runs', { type: 'string', array: true, describe: 'Runs: 012100, 012100-012200, or comma lists' })
      .option('target', { alias: 't', type: 'string', array: true, demandOption: true, describe: 'Data types to produce' })
      .option('scheduler', { choices: ['slurm', 'pbs', 'local'] as const, describe: 'Override scheduler.kind' })
      .option('partition', { type: 'string', describe: 'Slurm partition' })
      .option('queue', { type: 'string', describe: 'PBS queue' })
      .option('cpus', { type: 'number', describe: 'CPUs per job' })
      .option('mem', { type: 'number', describe: 'Memory per job in GB' })
      .option('time', { type: 'string', describe: 'Wall time as Slurm reads it: minutes (90), h:mm:ss (4:00:00), d-h (1-12), d-h:mm:ss' })
      .option('array', { type: 'boolean', default: true, describe: 'Several runs go into one array job (--no-array: one job per run)' })
      .option('force', { type: 'boolean', default: false, describe: 'Resubmit runs that are already submitted or running' })
      .option('output-exists', {
        choices: ['raise', 'overwrite', 'associate', 'add'] as const,
        default: 'raise' as const,
        describe: 'When the targets already exist: fail the run, recompute them, adopt them, or write a second copy',
      })
      .option('wait', { type: 'boolean', default: false, describe: 'Wait for the jobs and record their outcome' })
      .option('wait-timeout', { type: 'number', describe: 'Stop waiting after this many seconds' })
      .example('$0 submit 012100 --target event_info', 'one job for one run')
      .example('$0 submit 012100-012199 --target event_info --partition xenon1t --time 4:00:00', 'one array job of 100 tasks')
      .example('$0 submit 012100 012105 --target peaks --scheduler local --wait', 'run locally and wait for the result')
      .example('$0 submit 012100 --target event_info --dry-run', 'print the job script and the submit command') as never,
  handler: async (argv) => {
    const ctx = await openCommandContext(argv, 'submit');
    try {
      const { runSubmit } = await import('../../stages/submit.js');
      const summary = await runSubmit({
        config: ctx.config,
        configFile: ctx.configSource.startsWith('<') ? null : ctx.configSource,
        sets: argv.set,
        logger: ctx.logger,
        runs: parseRunList(argv.runs, 'runs'),
        targets: argv.target,
        scheduler: argv.scheduler,
        resources: {
          partition: argv.partition,
          queue: argv.queue,
          cpus: argv.cpus,
          memGb: argv.mem,
          walltimeMin: argv.time === undefined ? undefined : parseWalltimeMinutes(argv.time),
        },
        array: argv.array,
        force: argv.force,
        outputExists: argv.outputExists,
        dryRun: argv.dryRun,
        wait: argv.wait,
        waitTimeoutMs: argv.waitTimeout === undefined ? undefined : argv.waitTimeout * 1000,
      });
      if (summary.dry_run && !argv.json) {
        process.stdout.write(`${summary.script ?? ''}\n# would run: ${(summary.submit_command ?? []).join(' ')}\n`);
      } else if (!argv.json) {
        for (const s of summary.submitted) process.stdout.write(`${s.run}\t${s.job_id}${s.array_task === null ? '' : `_${s.array_task}`}\t${s.state ?? 'submitted'}\t${s.stdout}\n`);
        for (const s of summary.skipped) process.stderr.write(`skipped ${s.run}: ${s.reason}\n`);
        for (const f of summary.failed) process.stderr.write(`failed ${f.run}: ${f.reason}\n`);
      }
      argv.outcome.set({ summary });
    } finally {
      await ctx.close();
    }
  },
};
