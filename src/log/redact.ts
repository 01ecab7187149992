// Redaction of secrets in log text: configured secret strings plus generic patterns (URI passwords, Slack webhooks, password=…).
const GENERIC: ReadonlyArray<[RegExp, string]> = [
  // scheme://user:pass@host → scheme://user:***@host (the password may contain '@'; the last '@' before the path ends it)
  [/\b([a-z][a-z0-9+.-]*:\/\/)([^:@/?#\s"']*):([^/?#\s"']*)@/gi, '$1$2:***@'],
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
