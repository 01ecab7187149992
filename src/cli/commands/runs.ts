// `daqflow runs list|show|abandon|hold|release|retry|fail`: the operators' view and overrides of runs.
import type { CommandModule } from 'yargs';
import { ConfigError, EXIT } from '../../errors.js';
import { formatRunId, parseRunId } from '../../util/validate.js';
import { openCommandContext } from '../context.js';
import type { GlobalArgs } from '../global-options.js';
import { toJson } from '../outcome.js';
import { commandName } from './command-name.js';

const ACTIONS = ['list', 'show', 'abandon', 'hold', 'release', 'retry', 'fail'] as const;

interface RunsArgs extends GlobalArgs {
  action: (typeof ACTIONS)[number];
  run?: string;
  state: string[];
  stage: string;
  reason?: string;
}

const SUBCOMMANDS: Array<[command: string, describe: string]> = [
  ['list', 'Runs with their state, failures, job, tags and reason'],
  ['show <run>', 'The whole run document: stage states, data entries, job, failures, history'],
  ['abandon <run>', 'Never process the run automatically again (needs --reason)'],
  ['hold <run>', 'Tag the run so auto-process leaves it alone until release'],
  ['release <run>', 'Remove the hold tag'],
  ['retry <run>', 'Reset the failures: the next auto-process pass takes the run'],
  ['fail <run>', 'Mark the run failed (needs --reason), e.g. one whose job hangs'],
];

export const runsCommand: CommandModule<GlobalArgs, RunsArgs> = {
  command: 'runs',
  describe: "Operators' view of runs: list, show, abandon, hold, release, retry, fail",
  builder: (y) => {
    for (const [command, describe] of SUBCOMMANDS) {
      y.command<RunsArgs>(command, describe, (sub) => sub.positional('run', { type: 'string', describe: 'Run number (012100 or 12100)' }), (argv) =>
        runAction({ ...argv, action: commandName({ command }) as RunsArgs['action'] }),
      );
    }
    return y
      .demandCommand(1, 'runs: name an action (list, show, abandon, hold, release, retry, fail)')
      .option('state', { type: 'string', array: true, default: [] as string[], describe: 'list: only runs in these states of the stage' })
      .option('stage', { type: 'string', default: 'process', describe: 'list: the stage whose state is shown (process, import, auto_process …)' })
      .option('reason', { type: 'string', describe: "Why (abandon and fail need it); kept with who did it in the run's history" })
      .example('$0 runs list --state failed', 'runs whose processing failed, with the reason')
      .example('$0 runs show 012100 --json', 'the whole run document: stage states, data entries, job, failures, history')
      .example('$0 runs abandon 012100 --reason "pmt trip"', 'never process this run automatically again')
      .example('$0 runs hold 012100', 'keep auto-process away until `runs release 012100`')
      .example('$0 runs retry 012100', 'reset the failures: the next auto-process pass takes the run')
      .example('$0 runs fail 012100 --reason "job hung"', 'mark a run failed, e.g. one whose job is stuck') as never;
  },
  handler: () => undefined,
};

async function runAction(argv: RunsArgs): Promise<void> {
  const ctx = await openCommandContext(argv, 'runs');
  try {
    const ops = await import('../../stages/auto-process/operator.js');
    const { RunsDbNotCreatedError } = await import('../../rundb/not-created.js');
    if (argv.action === 'list') {
      const states = ops.parseStates(argv.state);
      // ls and show create nothing: without a runs DB file there are no runs to list.
      const docs = await ops.withStore(ctx.config, (store) => ops.listRunStates(store, argv.stage, states).then((d) => ({ docs: d, field: store.stateField })), { readOnly: true }).catch((error: unknown) => {
        if (!(error instanceof RunsDbNotCreatedError)) throw error;
        ctx.logger.warn(`runs list: no runs: ${error.shortMessage}`);
        return { docs: [], field: ctx.config.rundb.state_field };
      });
      const rows = docs.docs.map((d) => ops.runStateRow(d, docs.field, argv.stage));
      if (!argv.json) for (const r of rows) process.stdout.write(`${formatRunId(r.run)}\t${r.state}\t${r.n_failures}\t${r.job_id ?? '-'}\t${r.tags.join(',') || '-'}\t${r.reason ?? ''}\n`);
      argv.outcome.set({ exitCode: EXIT.ok, json: { stage: argv.stage, runs: rows } });
      return;
    }
    if (argv.run === undefined) throw new ConfigError(`runs ${argv.action}: name a run, e.g. daqflow runs ${argv.action} 012100`, { context: { option: 'run' } });
    const run = parseRunId(argv.run);
    const doc = await ops.withStore(ctx.config, (store) =>
      argv.action === 'show' ? ops.getRunOrThrow(store, run) : ops.applyAction(store, ctx.config, run, argv.action as Exclude<RunsArgs['action'], 'list' | 'show'>, argv.reason ?? null),
      { readOnly: argv.action === 'show' },
    ).catch((error: unknown) => {
      if (error instanceof RunsDbNotCreatedError) throw new ConfigError(`run ${formatRunId(run)} is not in the runs DB: ${error.shortMessage}`, { context: { option: 'run', file: error.file } });
      throw error;
    });
    if (argv.action === 'show' && !argv.json) process.stdout.write(`${toJson(doc)}\n`);
    else if (!argv.json && !argv.quiet) process.stdout.write(`run ${formatRunId(run)}: ${argv.action} recorded\n`);
    argv.outcome.set({ exitCode: EXIT.ok, json: doc });
  } finally {
    await ctx.close();
  }
}
