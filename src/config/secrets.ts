// Which strings in a config are secrets (for the logger's redaction), and redactUri for showing URIs safely.
import fs from 'node:fs';
import type { Config } from './schema.js';

const URI_CREDENTIALS = /^([a-z][a-z0-9+.-]*:\/\/)([^:@/?#\s]*):([^/?#\s]*)@/i;

/** `mongodb://user:pass@h/db` → `mongodb://user:***@h/db`; URIs without a password are returned unchanged. */
export function redactUri(uri: string): string {
  return uri.replace(URI_CREDENTIALS, '$1$2:***@');
}

/** The `user:pass` and `pass` parts of a URI (raw and percent-decoded), if it has a password. */
export function uriCredentials(uri: string): string[] {
  const m = URI_CREDENTIALS.exec(uri.trim());
  if (!m || m[3] === '') return [];
  const out = [`${m[2]}:${m[3]}`, m[3]!];
  try {
    const decoded = decodeURIComponent(m[3]!);
    if (decoded !== m[3]) out.push(decoded);
  } catch {
    // not percent-encoded; the raw form is enough
  }
  return out;
}

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
