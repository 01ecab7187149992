// Credentials never reach a log line or an error: the runs DB's use of the one redactor (util/redact.ts).
import { createRedactor } from '../util/redact.js';

export { redactUri, uriCredentials } from '../util/redact.js';

/** Masks passwords of any URI in `text`, secret query options, plus the given literal secrets. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  return createRedactor(secrets)(text);
}

/** The hosts part of a MongoDB URI (`db1:27017,db2:27017`), without credentials. */
export function uriHosts(uri: string): string {
  const beforeQuery = uri.replace(/^[a-z+]+:\/\//i, '').split('?')[0] ?? '';
  const rest = beforeQuery.slice(beforeQuery.lastIndexOf('@') + 1);
  return rest.split('/')[0] ?? rest;
}
