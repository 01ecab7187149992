// Which config file to use: --config, else $DAQFLOW_CONFIG, else ./config.yaml, else the embedded defaults.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';

export interface DiscoverOptions {
  configPath?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export type Discovered = { file: string; via: '--config' | '$DAQFLOW_CONFIG' | './config.yaml' } | { file: null; via: 'defaults' };

function mustExist(file: string, via: string): void {
  if (!fs.existsSync(file)) {
    throw new ConfigError(
      `${via} ${file}: no such file (fix the path, or write one with "daqflow init --config ${file}")`,
      { context: { file, option: via } },
    );
  }
  if (fs.statSync(file).isDirectory()) {
    throw new ConfigError(`${via} ${file}: is a folder; give the path of the YAML file`, { context: { file, option: via } });
  }
}

/** Find the config file. An explicit --config or $DAQFLOW_CONFIG that does not exist is a ConfigError. */
export function discoverConfig(options: DiscoverOptions): Discovered {
  if (options.configPath !== undefined) {
    if (options.configPath.trim() === '') throw new ConfigError('--config: empty path; give the path of a YAML file', { context: { option: '--config' } });
    const file = path.resolve(options.cwd, options.configPath);
    mustExist(file, '--config');
    return { file, via: '--config' };
  }
  const fromEnv = options.env.DAQFLOW_CONFIG;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const file = path.resolve(options.cwd, fromEnv);
    mustExist(file, '$DAQFLOW_CONFIG');
    return { file, via: '$DAQFLOW_CONFIG' };
  }
  const local = path.resolve(options.cwd, 'config.yaml');
  if (fs.existsSync(local) && fs.statSync(local).isFile()) return { file: local, via: './config.yaml' };
  return { file: null, via: 'defaults' };
}
