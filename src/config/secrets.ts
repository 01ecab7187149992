// Which strings in a config are secrets (for the logger's redaction); redaction itself lives in util/redact.ts.
import fs from 'node:fs';
import { uriCredentials } from '../util/redact.js';
import type { Config } from './schema.js';

export { redactUri, uriCredentials } from '../util/redact.js';

/** Every secret string the config holds, longest first, without duplicates or trivially short strings. */
export function collectSecrets(config: Config): string[] {
  const found: string[] = [];
  if (config.rundb.uri) found.push(...uriCredentials(config.rundb.uri));
  if (config.rundb.uri_file) {
    try {
      const text = fs.readFileSync(config.rundb.uri_file, 'utf8').trim();
      if (text) found.push(text, ...uriCredentials(text));
    } catch {
      // unreadable now; the runs DB reports that when it connects
    }
  }
  if (config.notify.email.password) found.push(config.notify.email.password);
  found.push(...smtpPasswords(config));
  if (config.notify.slack.webhook_url) {
    found.push(config.notify.slack.webhook_url);
    const tail = /\/services\/(.+)$/.exec(config.notify.slack.webhook_url)?.[1];
    if (tail) found.push(tail);
  }
  found.push(...archivePasswords(config));
  if (config.serve.secret_env && process.env[config.serve.secret_env]) found.push(process.env[config.serve.secret_env]!);
  if (config.serve.secret_file) found.push(...readQuietly(config.serve.secret_file));
  return [...new Set(found.filter((s) => s.length >= 3))].sort((a, b) => b.length - a.length);
}

/** The archive password (from the named environment variable or the password file), if one is configured. */
function archivePasswords({ archive }: Config): string[] {
  if (archive.password_env) return process.env[archive.password_env] ? [process.env[archive.password_env]!] : [];
  return archive.password_file ? readQuietly(archive.password_file) : [];
}

function readQuietly(file: string): string[] {
  try {
    const text = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    return text ? [text] : [];
  } catch {
    return []; // unreadable now; the command that needs it reports that
  }
}

/** The SMTP password from notify.email.password_env or password_file, if one is configured and readable now. */
function smtpPasswords({ notify }: Config): string[] {
  const { password_env: env, password_file: file } = notify.email;
  if (env) return process.env[env] ? [process.env[env]!] : [];
  if (!file) return [];
  try {
    const text = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    return text ? [text] : [];
  } catch {
    return []; // unreadable now; the e-mail channel reports that when it sends
  }
}
