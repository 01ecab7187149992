// `daqflow config show|check`: the effective configuration (secrets masked) and its validation.
import type { CommandModule } from 'yargs';
import YAML from 'yaml';
import { collectSecrets, loadConfig } from '../../config/index.js';
import { EXIT } from '../../errors.js';
import { createRedactor } from '../../log/index.js';
import type { GlobalArgs } from '../global-options.js';


interface ConfigArgs extends GlobalArgs {
  action: 'show' | 'check';
}

export const configCommand: CommandModule<GlobalArgs, ConfigArgs> = {
  command: 'config <action>',
  describe: 'Show the effective configuration (secrets masked) or check it',
  builder: (y) =>
    y
      .positional('action', { choices: ['show', 'check'] as const, describe: 'show: print it as YAML; check: validate only' })
      .example('$0 config check --config /etc/daqflow/config.yaml', 'exit 0 if valid, else 3 with every problem listed')
      .example('$0 config show --set pass.concurrency=8', 'print the configuration after defaults, ${ENV} and --set') as never,
  handler: (argv) => {
    const loaded = loadConfig({ configPath: argv.config, env: process.env, cwd: process.cwd(), sets: argv.set });
    const redact = createRedactor(collectSecrets(loaded.config));
    const masked = JSON.parse(redact(JSON.stringify(loaded.config))) as unknown;
    for (const warning of loaded.warnings) process.stderr.write(`daqflow: warning: ${warning}\n`);
    if (argv.action === 'show' && !argv.json) process.stdout.write(`# from ${loaded.source}\n${YAML.stringify(masked)}`);
    if (argv.action === 'check' && !argv.json) process.stderr.write(`${loaded.source}: configuration is valid\n`);
    argv.outcome.set({ exitCode: EXIT.ok, json: { source: loaded.source, warnings: loaded.warnings, config: argv.action === 'show' ? masked : undefined } });
  },
};
