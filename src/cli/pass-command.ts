// What every pass command shares on the command line: runs, --incremental, --retry-failed-<stage>, --concurrency, progress.
import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';
import type { Argv } from 'yargs';
import { ConfigError, DaqflowError, InterruptedError, LockBusyError } from '../errors.js';
import type { PassMode, PassSummary } from '../pass/index.js';
import { parseRunList } from '../util/validate.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/index.js';
import { openCommandContext, type CommandContext } from './context.js';
import type { GlobalArgs } from './global-options.js';

export interface PassArgs extends GlobalArgs {
  runs: string[];
  incremental: boolean;
  concurrency?: number;
  [retryFlag: `retryFailed${string}`]: boolean;
}

/** `[runs..]`, `--incremental`, `--retry-failed-<stage>` (the SBND archiver's spelling) and `--concurrency`. */
export function passOptions<T>(y: Argv<T>, stage: string): Argv<T> {
  return y
    .positional('runs', { type: 'string', array: true, default: [] as string[], describe: 'Only these runs: 012100, 012100-012200, comma lists' })
    .option('incremental', { type: 'boolean', default: false, describe: 'Only runs above the last contiguous run, plus failed runs whose retry is due' })
    .option(`retry-failed-${stage}`, { type: 'boolean', default: false, describe: 'Only failed runs, now (due or not)' })
    .option('concurrency', { type: 'number', describe: 'Runs at once (default: pass.concurrency)', requiresArg: true }) as Argv<T>;
}

export interface PassSelection {
  mode: PassMode;
  runs: number[] | undefined;
  concurrency: number | undefined;
}

/** The mode and runs a pass command's flags ask for; runs are validated (digits only). */
export function passSelection(argv: PassArgs, stage: string): PassSelection {
  const retry = argv[`retryFailed${stage[0]!.toUpperCase()}${stage.slice(1)}`] === true;
  if (retry && argv.incremental) throw new ConfigError(`choose --incremental or --retry-failed-${stage}, not both`, { context: { option: 'incremental' } });
  const runs = argv.runs.length ? parseRunList(argv.runs, 'runs') : undefined;
  const c = argv.concurrency;
  if (c !== undefined && !(Number.isInteger(c) && c >= 1)) throw new ConfigError(`--concurrency must be a positive integer, got ${c}`, { context: { option: 'concurrency' } });
  return { mode: retry ? 'retry-failed' : argv.incremental ? 'incremental' : 'full', runs, concurrency: c };
}

/** cli-progress, loaded when a bar is drawn: under cron (no terminal) it is never needed. */
const loadCliProgress = (): typeof CliProgress => createRequire(import.meta.url)('cli-progress') as typeof CliProgress;

/** A progress bar on a terminal; nothing otherwise (under cron the per-run log lines are the progress). */
export function passProgress(enabled: boolean, stage: string) {
  let bar: CliProgress.SingleBar | undefined;
  return {
    onSelected(candidates: number): void {
      if (!enabled || candidates === 0) return;
      const cliProgress = loadCliProgress();
      bar = new cliProgress.SingleBar({ format: `${stage} [{bar}] {value}/{total} runs | {failed} failed | {eta_formatted}`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
      bar.start(candidates, 0, { failed: 0 });
    },
    onSettled(s: PassSummary): void {
      bar?.update(s.done.length + s.failed.length + s.skipped.length + s.pending.length + s.planned.length, { failed: s.failed.length });
    },
    stop(): void {
      bar?.stop();
    },
  };
}

/** One line per run that did not simply succeed, and the totals (the --json summary carries everything). */
export function formatPassSummary(s: PassSummary): string {
  const lines = [
    ...s.failed.map((f) => `failed  ${f.run}: ${f.reason}`),
    ...s.skipped.map((k) => `skipped ${k.run}: ${k.reason}`),
    ...s.pending.map((p) => `pending ${p.run}: ${p.reason}`),
  ];
  const planned = s.dry_run ? `, ${s.planned.length} would change (dry run)` : '';
  lines.push(`${s.stage}: ${s.done.length} done, ${s.failed.length} failed, ${s.skipped.length} skipped${planned}; last contiguous run ${s.last_contiguous_run ?? 'none'}`);
  return lines.join('\n') + '\n';
}

/** What a pass command hands its stage: config, logger, selection, --dry-run and the progress callbacks. */
export interface PassCommandRun {
  config: Config;
  logger: Logger;
  mode: PassMode;
  runs: number[] | undefined;
  concurrency: number | undefined;
  dryRun: boolean | undefined;
  onSelected: (candidates: number) => void;
  onSettled: (summary: PassSummary) => void;
}

/** The handler body of a pass command: open the context, run the stage's pass, print the summary, set the outcome. */
export async function runPassCommand(argv: PassArgs, stage: string, selection: PassSelection, pass: (run: PassCommandRun) => Promise<PassSummary>): Promise<void> {
  const progress = passProgress(!argv.json && !argv.quiet && process.stderr.isTTY === true, stage);
  try {
    await runStageCommand(argv, stage, async (ctx) => {
      const summary = await pass({
        config: ctx.config, logger: ctx.logger, mode: selection.mode, runs: selection.runs, concurrency: selection.concurrency,
        dryRun: argv.dryRun, onSelected: progress.onSelected, onSettled: progress.onSettled,
      });
      progress.stop();
      if (!argv.json && !argv.quiet) process.stdout.write(formatPassSummary(summary));
      return summary;
    });
  } finally {
    progress.stop();
  }
}

/**
 * Every stage command's one wrapper (import, migrate, rechunk, auto-process, clean): open the context, run the pass,
 * then — after the pass has saved its state — send metrics and notifications, also when the pass could not run.
 * Reporting never changes the pass's result: its failures are logged.
 */
export async function runStageCommand(argv: GlobalArgs, stage: string, pass: (ctx: CommandContext) => Promise<PassSummary>, options: { runsByState?: (config: Config) => Promise<Record<string, number> | null> } = {}): Promise<void> {
  const ctx = await openCommandContext(argv, stage);
  // Mail, Slack and metrics clients are loaded by the commands that report a pass, not by every command's start-up.
  const { reportPass } = await import('../notify/report.js');
  try {
    let summary: PassSummary;
    try {
      summary = await pass(ctx);
    } catch (error) {
      if (error instanceof DaqflowError && !(error instanceof LockBusyError) && !(error instanceof InterruptedError)) {
        await reportPass({ config: ctx.config, logger: ctx.logger, stage, summary: null, error: { message: error.shortMessage, exitCode: error.exitCode } });
      }
      throw error;
    }
    const runsByState = options.runsByState;
    await reportPass({ config: ctx.config, logger: ctx.logger, stage, summary, runsByState: runsByState && (() => runsByState(ctx.config)) });
    argv.outcome.set({ summary });
  } finally {
    await ctx.close();
  }
}
