// `daqflow data ls|verify <dir>`: list and check strax datasets in any strax storage root.
import type { Argv, CommandModule } from 'yargs';
import { DaqflowError, EXIT } from '../../errors.js';
import type { GlobalArgs } from '../global-options.js';

import type { DatasetSummary, ListDataSummary, VerifyDataSummary } from '../../stages/data.js';

interface DataArgs extends GlobalArgs {
  dir: string;
  run?: string;
  deep?: boolean;
}

function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) [v, u] = [v / 1000, u + 1];
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

const HEAD = ['RUN', 'DATA TYPE', 'HASH', 'STATE', 'CHUNKS', 'ROWS', 'SIZE', 'COMPRESSOR'];
const cells = (d: DatasetSummary) => [d.run, d.dataType, d.hash, d.state, String(d.chunks), String(d.rows), humanSize(d.sizeOnDisk), d.compressor ?? '-'];

export function formatList(summary: ListDataSummary): string {
  if (summary.datasets.length === 0) return `no strax datasets in ${summary.root}`;
  return table([HEAD, ...summary.datasets.map(cells)]);
}

export function formatVerify(summary: VerifyDataSummary): string {
  if (summary.datasets.length === 0) return `no strax datasets in ${summary.root}`;
  const lines = [table([[...HEAD, 'CHECK'], ...summary.datasets.map((d) => [...cells(d), d.ok ? 'ok' : `${d.problems.length} problem(s)`])])];
  for (const d of summary.datasets) {
    for (const p of d.problems) lines.push(`  ✗ ${p.file}: ${p.problem}`);
    for (const w of d.warnings) lines.push(`  ! ${w.file}: ${w.problem}`);
  }
  lines.push(`${summary.ok} ok, ${summary.broken} broken`);
  return lines.join('\n');
}

const dirPositional = (y: Argv<GlobalArgs>) =>
  y
    .positional('dir', { type: 'string', demandOption: true, describe: 'strax storage root (a DataDirectory)' })
    .option('run', { type: 'string', describe: 'Only this run (e.g. 012345)', requiresArg: true });

const lsCommand: CommandModule<GlobalArgs, DataArgs> = {
  command: 'ls <dir>',
  describe: 'List strax datasets: run, data type, hash, state, chunks, rows, size, compressor',
  builder: (y) => dirPositional(y).example('$0 data ls /data/xenonnt_processed --run 012345', 'what is stored for run 012345') as never,
  handler: async (argv) => {
    const { listData } = await import('../../stages/data.js');
    const summary = listData(argv.dir, { run: argv.run });
    if (!argv.json) process.stdout.write(formatList(summary) + '\n');
    argv.outcome.set({ exitCode: EXIT.ok, json: summary });
  },
};

const verifyCommand: CommandModule<GlobalArgs, DataArgs> = {
  command: 'verify <dir>',
  describe: 'Check every chunk of every dataset: one frame of n × itemsize bytes, continuity, row bounds',
  builder: (y) =>
    dirPositional(y)
      .option('deep', { type: 'boolean', default: false, describe: 'Also recompute field sums and the lineage hash' })
      .example('$0 data verify /data/xenonnt_processed', 'exit 1 and name the files if anything is broken')
      .example('$0 data verify /data/raw --run 012345 --deep --json', 'full check of one run, machine-readable') as never,
  handler: async (argv) => {
    const { verifyData } = await import('../../stages/data.js');
    const summary = await verifyData(argv.dir, { run: argv.run, deep: argv.deep });
    const exitCode = summary.broken > 0 ? EXIT.runsFailed : EXIT.ok;
    if (argv.json) {
      // main.ts prints the summary; the exit code says whether anything is broken.
      argv.outcome.set({ exitCode, json: summary });
      return;
    }
    process.stdout.write(formatVerify(summary) + '\n');
    if (summary.broken > 0) {
      throw new DaqflowError(`data verify: ${summary.broken} broken dataset(s) in ${summary.root}: ${summary.brokenFiles.join(', ')}`, {
        exitCode: EXIT.runsFailed,
        context: { file: summary.brokenFiles[0] },
      });
    }
    argv.outcome.set({ exitCode });
  },
};

export const dataCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'data <command>',
  describe: 'Inspect strax data folders (list, verify)',
  builder: (y) =>
    y
      .command(lsCommand as never)
      .command(verifyCommand as never)
      .demandCommand(1)
      .example('$0 data ls /data/processed', 'list datasets with their state')
      .example('$0 data verify /data/processed --deep', 'check every chunk and lineage hash') as never,
  handler: () => undefined,
};
