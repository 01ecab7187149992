// `daqflow recover-state <stage…>`: rebuild ledgers from the sources of truth; prints the difference, writes atomically unless --dry-run.
import type { CommandModule } from 'yargs';
import type { Config } from '../../config/schema.js';
import { EXIT } from '../../errors.js';
import { openCommandContext } from '../context.js';
import type { GlobalArgs } from '../global-options.js';
import type { RecoverResult } from '../../report/recover.js';
import { formatAbbreviated } from '../../report/ranges.js';

const STAGES = ['import', 'migrate', 'process', 'rechunk'] as const;

interface RecoverArgs extends GlobalArgs {
  stages: string[];
}

export function formatRecover(result: RecoverResult): string {
  const lines: string[] = [];
  const mark = (m: number | null) => (m === null ? 'none' : String(m));
  for (const c of result.changes) {
    const before = c.before === null ? 'no ledger' : c.before.error ? `corrupt (${c.before.error})` : `mark ${mark(c.before.last_contiguous_run)}, ${c.before.done_above} done above, ${c.before.failed} failed`;
    const after = `mark ${mark(c.after.last_contiguous_run)}, ${c.after.done_above} done above, ${c.after.failed} failed`;
    const verb = !c.changed ? 'already matches the sources' : c.written ? 'rewritten' : 'would be rewritten (dry run)';
    lines.push(`${c.stage}: ${c.file} ${verb}`);
    if (!c.changed) continue;
    lines.push(`  before: ${before}`, `  after:  ${after}`);
    if (c.now_done.count) lines.push(`  now done:        ${formatAbbreviated(c.now_done)}`);
    if (c.no_longer_done.count) lines.push(`  no longer done:  ${formatAbbreviated(c.no_longer_done)}`);
    if (c.failed_added.length) lines.push(`  failed added:    ${c.failed_added.join(', ')}`);
    if (c.failed_removed.length) lines.push(`  failed removed:  ${c.failed_removed.join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

export const recoverStateCommand: CommandModule<GlobalArgs, RecoverArgs> = {
  command: 'recover-state <stages..>',
  describe: 'Rebuild stage ledgers (state/<stage>.json) from the sources of truth; shows the difference first',
  builder: (y) =>
    y
      .positional('stages', { type: 'string', array: true, choices: [...STAGES, 'all'], describe: 'import, migrate, process (auto-process), rechunk, or all' })
      .example('$0 recover-state import --dry-run', 'show what the rebuilt import ledger would change')
      .example('$0 recover-state all', 'rebuild every configured stage ledger (the old one is kept as <stage>.json.bak)')
      .example('$0 config.yaml --recover-import-state', 'the SBND archiver spelling') as never,
  handler: async (argv) => {
    const named = argv.stages.includes('all') ? null : [...new Set(argv.stages)];
    const ctx = await openCommandContext(argv, 'recover-state');
    try {
      const { recoverState } = await import('../../report/index.js');
      const stages = named ?? configuredStages(ctx.config);
      const result = await recoverState({ config: ctx.config, stages: stages as (typeof STAGES)[number][], dryRun: argv.dryRun, logger: ctx.logger });
      if (!argv.json && !argv.quiet) process.stdout.write(formatRecover(result));
      argv.outcome.set({ exitCode: EXIT.ok, json: result });
    } finally {
      await ctx.close();
    }
  },
};

/** `all`: the stages the config sets up (import needs source folders, migrate an archive, rechunk both its folders). */
function configuredStages(config: Config): string[] {
  const out: string[] = ['process'];
  if (config.import.source_dirs.length) out.unshift('import');
  if ((config.archive.kind === 'filesystem' ? config.archive.path : config.archive.url) !== null) out.splice(out.indexOf('process'), 0, 'migrate');
  if (config.rechunk.source_dir && config.rechunk.dest_dir) out.push('rechunk');
  return out;
}
