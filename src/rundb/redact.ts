// Credentials never reach a log line or an error: redaction of connection strings and of text that may quote them.

/** `mongodb://user:secret@host/db?x=1` → `mongodb://user:***@host/db?x=1`; secret-looking query options are masked too. */
export function redactUri(uri: string): string {
  return redactText(uri);
}

// The password runs to the last '@' of the token, so an unencoded '@' or '/' in it is still hidden.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^:@/?#\s"']*):([^\s"']*)@/gi;
const SECRET_OPTION = /([?&](?:password|pwd|token|secret|authMechanismProperties|tlsCertificateKeyFilePassword)=)[^&\s"']*/gi;

/** Masks passwords of any URI in `text`, plus the given literal secrets. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 3) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('***');
  }
  out = out.replace(USERINFO, '$1$2:***@');
  return out.replace(SECRET_OPTION, '$1***');
}

/** The hosts part of a MongoDB URI (`db1:27017,db2:27017`), without credentials. */
export function uriHosts(uri: string): string {
  const beforeQuery = uri.replace(/^[a-z+]+:\/\//i, '').split('?')[0] ?? '';
  const rest = beforeQuery.slice(beforeQuery.lastIndexOf('@') + 1);
  return rest.split('/')[0] ?? rest;
}

/** The password of a MongoDB URI (decoded), to redact it wherever it might be echoed. */
export function uriSecrets(uri: string): string[] {
  const m = /^[a-z+]+:\/\/([^:@/?#]*):(.*)@[^@]*$/i.exec(uri.split('?')[0] ?? uri);
  if (!m?.[2]) return [];
  const raw = m[2];
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // keep the raw form
  }
  return [...new Set([raw, decoded])];
}
