// What an operator sees when daqflow itself is broken (exit 2): enough to file a useful issue.
import os from 'node:os';
import { formatVersionReport, versionReport } from './package-info.js';

export function internalErrorReport(error: unknown, argv: readonly string[]): string {
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const redact = (text: string): string => text.split(process.cwd()).join('<cwd>').split(os.homedir()).join('<home>');
  return redact(
    [
      `daqflow: internal error: ${error instanceof Error ? error.message : String(error)}`,
      '',
      'This is a bug in daqflow. Please report it with the text below (it holds no config values):',
      '---',
      `command: daqflow ${argv.map((a) => (a.includes('=') ? a.split('=')[0] + '=…' : a)).join(' ')}`,
      formatVersionReport(versionReport()),
      '',
      stack,
      '---',
    ].join('\n'),
  );
}
