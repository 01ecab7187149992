// `daqflow report-status`: where every run stands in every source and stage, and what to do about it (text, --json, --html).
import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { ConfigError } from '../../errors.js';
import { writeFileAtomicSync } from '../../util/atomic-write.js';
import { openCommandContext } from '../context.js';
import type { GlobalArgs } from '../global-options.js';

interface ReportArgs extends GlobalArgs {
  compareState: boolean;
  failOnDrift: boolean;
  html?: string;
}

/** The --html target: a file (not a folder) whose folder exists or can be made. */
function htmlTarget(file: string): string {
  const abs = path.resolve(file);
  if (file.includes('\0')) throw new ConfigError('--html: the file name contains a NUL byte', { context: { option: 'html' } });
  if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) throw new ConfigError(`--html: ${abs} is a folder; name a file, e.g. ${path.join(abs, 'status.html')}`, { context: { option: 'html', file: abs } });
  return abs;
}

export const reportStatusCommand: CommandModule<GlobalArgs, ReportArgs> = {
  command: 'report-status',
  describe: 'Where every run stands: sources, stages, failures, jobs, hosts, disk, and numbered recommendations (read-only)',
  builder: (y) =>
    y
      .option('compare-state', { type: 'boolean', default: false, describe: 'Compare every ledger with the sources: marks behind or ahead, stale failures, done runs that are missing' })
      .option('fail-on-drift', { type: 'boolean', default: false, describe: 'With --compare-state: exit 1 when a ledger disagrees with the sources' })
      .option('html', { type: 'string', requiresArg: true, describe: 'Also write the report as one self-contained HTML page (chart included) to this file' })
      .example('$0 report-status', 'the status as text, recommendations last')
      .example('$0 config.yaml --report-status --compare-state', 'the SBND archiver cron line: report plus ledger drift')
      .example('$0 report-status --json | jq .recommendations', 'machine-readable (schema: docs/report-schema.md)')
      .example('$0 report-status --html /var/www/daqflow/status.html -q', 'a page to open in a browser, nothing on the terminal') as never,
  handler: async (argv) => {
    if (argv.failOnDrift && !argv.compareState) throw new ConfigError('--fail-on-drift needs --compare-state', { context: { option: 'fail-on-drift' } });
    const html = argv.html === undefined ? undefined : htmlTarget(argv.html);
    const ctx = await openCommandContext(argv, 'report-status');
    try {
      // The modules themselves, not report/index.js, which also loads recover-state's lock machinery.
      const { buildReport } = await import('../../report/build.js');
      const report = await buildReport({ config: ctx.config, compareState: argv.compareState, failOnDrift: argv.failOnDrift, logger: ctx.logger });
      if (html) {
        fs.mkdirSync(path.dirname(html), { recursive: true });
        const { renderReportHtml } = await import('../../report/html.js');
        writeFileAtomicSync(html, renderReportHtml(report));
        ctx.logger.info(`wrote the HTML report to ${html}`);
      }
      if (!argv.json && !argv.quiet) process.stdout.write((await import('../../report/text.js')).formatReportText(report));
      for (const e of report.errors) ctx.logger.error(`report-status: the ${e.source} source could not be queried: ${e.message} (the rest of the report is complete)`);
      argv.outcome.set({ exitCode: report.exit_code, json: report });
    } finally {
      await ctx.close();
    }
  },
};
