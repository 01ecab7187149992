// Runs the built CLI (bin/daqflow.js) as a real process and captures what it printed.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const root = path.resolve(import.meta.dirname, '..', '..');

export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; bin?: 'daqflow' | 'straxer' } = {}): CliResult {
  const env: Record<string, string | undefined> = { ...process.env, DAQFLOW_CONFIG: undefined, ...options.env };
  const result = spawnSync(process.execPath, [path.join(root, 'bin', `${options.bin ?? 'daqflow'}.js`), ...args], {
    cwd: options.cwd ?? root,
    env: env as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
