// Basic-auth credentials for the HTTP archive: the password from an environment variable or a file only its owner can read.
import { readSecretFile } from '../config/secret-file.js';
import { ConfigError } from '../errors.js';

export interface CredentialSource {
  username: string | null;
  passwordEnv: string | null;
  passwordFile: string | null;
}

/** The password the config points at, or null when no username is configured. Never logged. */
export function readArchivePassword(source: CredentialSource, env: NodeJS.ProcessEnv = process.env): string | null {
  if (source.username === null) {
    if (source.passwordEnv !== null || source.passwordFile !== null) {
      throw new ConfigError('archive.username: a password is configured but no username; set archive.username', { context: { option: 'archive.username' } });
    }
    return null;
  }
  if (source.passwordEnv !== null && source.passwordFile !== null) {
    throw new ConfigError('archive.password_env and archive.password_file are both set; keep one', { context: { option: 'archive.password_file' } });
  }
  if (source.passwordEnv !== null) {
    const value = env[source.passwordEnv];
    if (value === undefined || value === '') {
      throw new ConfigError(`archive.password_env: environment variable ${source.passwordEnv} is not set (or empty)`, { context: { option: 'archive.password_env' } });
    }
    return value;
  }
  if (source.passwordFile !== null) return readSecretFile(source.passwordFile, 'archive.password_file');
  throw new ConfigError('archive.username is set but neither archive.password_env nor archive.password_file is', { context: { option: 'archive.username' } });
}

/** The Authorization header value for basic auth. */
export function basicAuthHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
