// The one redactor: configured secret strings plus generic patterns (URI passwords and secret query options, Slack webhooks, password=…).
// Used by the logger, config display and runs-DB errors alike, so a pattern fixed here is fixed everywhere.
const GENERIC: ReadonlyArray<[RegExp, string]> = [
  // scheme://user:pass@host → scheme://user:***@host; the password runs to the last '@' of the whitespace-free
  // token, so an unencoded '@' or '/' in it is still hidden
  [/\b([a-z][a-z0-9+.-]*:\/\/)([^:@/?#\s"']*):([^\s"']*)@/gi, '$1$2:***@'],
  // ?password=…&tlsCertificateKeyFilePassword=… in connection strings
  [/([?&](?:password|pwd|token|secret|authMechanismProperties|tlsCertificateKeyFilePassword)=)[^&\s"']*/gi, '$1***'],
  [/(hooks\.slack\.com\/services\/)[^\s"'<>]+/gi, '$1***'],
  // password=…, token=… (also as key=value log fields) and "secret": "…" in JSON
  [/\b((?:[a-z_]*_)?(?:password|passwd|pwd|token|secret|api[_-]?key)\s*=\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s&,;"'}]+)/gi, '$1***'],
  [/("(?:[a-z_]*_)?(?:password|passwd|pwd|token|secret|api[_-]?key)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, '$1"***"'],
  [/\b(Authorization:\s*(?:Bearer|Basic|Token)\s+)\S+/gi, '$1***'],
];

export type Redactor = (text: string) => string;

/** Build a redactor for the given secret strings (and their percent-encoded forms) plus the generic patterns. */
export function createRedactor(secrets: readonly string[] = []): Redactor {
  const literal = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < 3) continue;
    literal.add(secret);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) literal.add(encoded);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) literal.add(escaped);
  }
  const ordered = [...literal].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const secret of ordered) if (out.includes(secret)) out = out.split(secret).join('***');
    for (const [pattern, replacement] of GENERIC) out = out.replace(pattern, replacement);
    return out;
  };
}

/** Redaction with only the generic patterns. */
export const redactGeneric: Redactor = createRedactor();

/** `mongodb://user:pass@h/db` → `mongodb://user:***@h/db`; URIs without a password are returned unchanged. */
export function redactUri(uri: string): string {
  return redactGeneric(uri);
}

const URI_CREDENTIALS = /^([a-z][a-z0-9+.-]*:\/\/)([^:@/?#\s]*):([^\s?#]*)@/i;

/** The `user:pass` and `pass` parts of a URI (raw and percent-decoded), if it has a password: secrets to redact anywhere. */
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
