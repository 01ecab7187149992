// Read a password or token from a file only its owner can read (mode 0600); the value is never logged.
import fs from 'node:fs';
import { ConfigError } from '../errors.js';

/** The file's text without its final newline; refuses files other users could read, and empty files. */
export function readSecretFile(file: string, option: string, what = 'password'): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw new ConfigError(`${option}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { context: { option, file } });
  }
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new ConfigError(`${option}: ${file} has mode ${mode}; other users could read the ${what} — run chmod 600 ${file}`, { context: { option, file } });
  }
  const text = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (text === '') throw new ConfigError(`${option}: ${file} is empty`, { context: { option, file } });
  return text;
}
