// The CLI entry: parse argv, run one command, print errors, and decide the exit code (the only place that does).
import yargs from 'yargs';
import { ConfigError, DaqflowError, EXIT, isDiskFull } from '../errors.js';
import { mapArchiverFlags } from './archiver-flags.js';
import { commandModules } from './commands/index.js';
import { addGlobalOptions } from './global-options.js';
import { internalErrorReport } from './internal-error.js';
import { exitCodeOf, jsonOf, OutcomeSlot, toJson, type CommandOutcome } from './outcome.js';
import { formatVersionReport, versionReport } from './package-info.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

function buildParser(args: string[], program: string) {
  const parser = addGlobalOptions(yargs(args))
    .scriptName(program)
    .usage(
      program === 'straxer'
        ? '$0 <run> --target T… [options]\n\nProcess one run up to the requested data types.'
        : '$0 <command> [options]\n\nData operations for detector runs: one incremental pass per call, safe under cron.',
    )
    .command(commandModules)
    .demandCommand(1, 'Name a command (see the list above), e.g. daqflow import --incremental')
    .recommendCommands()
    .strict()
    .version(false)
    .help('help')
    .alias('help', 'h')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue('Exit codes: 0 ok · 1 some runs failed · 2 internal error · 3 config/usage · 4 service unreachable · 75 locked · 130/143 interrupted. Docs: docs/OPERATIONS.md')
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      throw new ConfigError(message, { context: { option: 'argv' } });
    });
  return parser;
}

/** yargs silently drops an argument made only of dashes (`---`), so `import "---"` would become a full pass: refuse it. */
function refuseDashesOnly(args: readonly string[]): void {
  const bad = args.find((a) => /^-{3,}$/.test(a));
  if (bad !== undefined) throw new ConfigError(`argument ${JSON.stringify(bad)} is neither an option nor a value (run ids look like 012100)`, { context: { option: 'argv' } });
}

async function runOne(args: string[], program: string, io: CliIo): Promise<CommandOutcome> {
  refuseDashesOnly(args);
  let helpShown = false;
  const slot = new OutcomeSlot();
  const parser = buildParser(args, program);
  await parser.parseAsync(args, { outcome: slot }, (error, _argv, output) => {
    if (output && !error) {
      helpShown = true;
      io.stdout(output + '\n');
    }
  });
  const outcome = slot.take();
  return helpShown || !outcome ? { exitCode: EXIT.ok } : outcome;
}

function printError(error: unknown, args: readonly string[], io: CliIo, json: boolean): number {
  if (error instanceof DaqflowError) {
    io.stderr(`daqflow: error: ${error.shortMessage}\n`);
    if (error instanceof ConfigError && error.problems.length > 1) {
      for (const problem of error.problems) io.stderr(`  - ${problem}\n`);
    }
    if (json) io.stdout(toJson({ error: { message: error.shortMessage, exit_code: error.exitCode, name: error.name, context: error.context } }) + '\n');
    return error.exitCode;
  }
  if (isDiskFull(error)) {
    // A full disk under daqflow's own folders (ledger, lock, log, temp files) stops the command before anything is
    // recorded, like an unreachable service: the next pass continues once there is space.
    const message = `no space left on the disk of ${error.path ?? 'a folder daqflow writes'} (${error.code}): free space there; nothing was recorded as done`;
    io.stderr(`daqflow: error: ${message}\n`);
    if (json) io.stdout(toJson({ error: { message, exit_code: EXIT.serviceUnavailable, name: 'DiskFullError', context: { file: error.path } } }) + '\n');
    return EXIT.serviceUnavailable;
  }
  io.stderr(internalErrorReport(error, args) + '\n');
  return EXIT.internal;
}

/** Run the CLI on `args` (argv without node and the script) and return the exit code. */
export async function main(args: string[], options: { program?: 'daqflow' | 'straxer'; io?: CliIo } = {}): Promise<number> {
  const io = options.io ?? defaultIo;
  const program = options.program ?? 'daqflow';
  const json = args.includes('--json');
  try {
    if (args.includes('--version') || (program === 'daqflow' && args[0] === 'version')) {
      const report = versionReport();
      io.stdout((json ? toJson(report) : formatVersionReport(report)) + '\n');
      return EXIT.ok;
    }
    const argv = program === 'straxer' ? ['straxer', ...args] : args;
    const mapping = program === 'daqflow' ? mapArchiverFlags(argv) : null;
    const commands = mapping ? mapping.commands : [argv];
    if (mapping) io.stderr(`daqflow: archiver flags ${mapping.translated.join(' ')} → ${commands.map((c) => `daqflow ${c.join(' ')}`).join(' ; ')}\n`);
    let worst: number = EXIT.ok;
    for (const command of commands) {
      const outcome = await runOne(command, program, io);
      const code = exitCodeOf(outcome);
      const printed = jsonOf(outcome);
      if (json && printed !== undefined) io.stdout(toJson(printed) + '\n');
      worst = Math.max(worst, code);
      if (code !== EXIT.ok && code !== EXIT.runsFailed) return code;
    }
    return worst;
  } catch (error) {
    return printError(error, args, io, json);
  }
}

