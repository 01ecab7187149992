// Optional access control for `daqflow serve`: a bearer token or basic auth, the secret from an env var or a 0600 file.
import crypto from 'node:crypto';
import type { Config } from '../config/schema.js';
import { readSecretFile } from '../config/secret-file.js';
import { ConfigError } from '../errors.js';

export type AuthCheck = (authorization: string | undefined) => boolean;

/** The configured secret (never logged); null when auth is off. */
export function readServeSecret(serve: Config['serve'], env: NodeJS.ProcessEnv = process.env): string | null {
  if (serve.auth === 'none') return null;
  if (serve.secret_env !== null) {
    const value = env[serve.secret_env];
    if (!value) throw new ConfigError(`serve.secret_env: environment variable ${serve.secret_env} is not set (or empty)`, { context: { option: 'serve.secret_env' } });
    return value;
  }
  if (serve.secret_file !== null) return readSecretFile(serve.secret_file, 'serve.secret_file', 'token or password');
  throw new ConfigError(`serve.auth is ${serve.auth}; set serve.secret_env or serve.secret_file`, { context: { option: 'serve.auth' } });
}

function sameSecret(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/** A check of the Authorization header; with auth off every request passes. */
export function authCheck(serve: Config['serve'], secret: string | null): AuthCheck {
  if (serve.auth === 'none' || secret === null) return () => true;
  if (serve.auth === 'token') {
    return (header) => header !== undefined && /^Bearer /i.test(header) && sameSecret(header.slice(7).trim(), secret);
  }
  const expected = `${serve.username}:${secret}`;
  return (header) => {
    if (header === undefined || !/^Basic /i.test(header)) return false;
    return sameSecret(Buffer.from(header.slice(6).trim(), 'base64').toString('utf8'), expected);
  };
}
