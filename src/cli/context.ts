// What a command handler needs to run a stage: the loaded config and a logger (console + rotating file).
import { loadConfig, collectSecrets, workPaths } from '../config/index.js';
import type { Config } from '../config/schema.js';
import { createLogger, type Logger } from '../log/index.js';
import type { GlobalArgs } from './global-options.js';

export interface CommandContext {
  config: Config;
  configSource: string;
  logger: Logger;
  json: boolean;
  dryRun: boolean;
  close(): Promise<void>;
}

export async function openCommandContext(argv: GlobalArgs, command: string): Promise<CommandContext> {
  const loaded = loadConfig({ configPath: argv.config, env: process.env, cwd: process.cwd(), sets: argv.set });
  const { config } = loaded;
  const logger = createLogger({
    level: argv.verbose ? 'debug' : config.log.level,
    quiet: argv.quiet,
    verbose: argv.verbose,
    file: { dir: workPaths(config).logsDir, maxBytes: config.log.max_bytes, maxFiles: config.log.max_files },
    secrets: collectSecrets(config),
    command,
  });
  for (const warning of loaded.warnings) logger.warn(warning);
  logger.debug(`configuration from ${loaded.source}`);
  return {
    config,
    configSource: loaded.source,
    logger,
    json: argv.json,
    dryRun: argv.dryRun,
    close: () => logger.close(),
  };
}
