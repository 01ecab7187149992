// `daqflow init`: write config.yaml from the documented template.
import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { ConfigError, EXIT } from '../../errors.js';
import type { GlobalArgs } from '../global-options.js';

import { PACKAGE_ROOT } from '../package-info.js';

interface InitArgs extends GlobalArgs {
  dir: string;
  force: boolean;
}

export const initCommand: CommandModule<GlobalArgs, InitArgs> = {
  command: 'init',
  describe: 'Write config.yaml from the documented template',
  builder: (y) =>
    y
      .option('dir', { type: 'string', default: '.', describe: 'Folder to write config.yaml into' })
      .option('force', { type: 'boolean', default: false, describe: 'Overwrite an existing config.yaml' })
      .example('$0 init', 'write ./config.yaml with every key and its default')
      .example('$0 init --dir /etc/daqflow --force', 'replace /etc/daqflow/config.yaml') as never,
  handler: (argv) => {
    const target = path.resolve(argv.dir, 'config.yaml');
    const template = fs.readFileSync(path.join(PACKAGE_ROOT, 'config.yaml.template'), 'utf8');
    if (fs.existsSync(target) && !argv.force) {
      throw new ConfigError(`${target} already exists; use --force to overwrite it`, { context: { file: target } });
    }
    if (!argv.dryRun) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, template, { mode: 0o600 });
    }
    process.stderr.write(`${argv.dryRun ? 'would write' : 'wrote'} ${target}\n`);
    argv.outcome.set({ exitCode: EXIT.ok, json: { written: argv.dryRun ? null : target, dry_run: argv.dryRun } });
  },
};
