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
  if (config.notify.slack.webhook_url) {
    found.push(config.notify.slack.webhook_url);
    const tail = /\/services\/(.+)$/.exec(config.notify.slack.webhook_url)?.[1];
    if (tail) found.push(tail);
  }
  if (config.migrate.auth_token) found.push(config.migrate.auth_token);
  if (config.migrate.url) found.push(...uriCredentials(config.migrate.url));
  return [...new Set(found.filter((s) => s.length >= 3))].sort((a, b) => b.length - a.length);
}
