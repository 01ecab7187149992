// Basic-auth credentials for the HTTP archive: the password from an environment variable or a file only its owner can read.
import { readSecretFile } from '../config/secret-file.js';
import { ConfigError } from '../errors.js';

export interface CredentialSource {
  username: string | null;
  passwordEnv: string | null;
  passwordFile: string | null;
}

/** The password the config points at, or null when no username is configured. Never logged. */
export function readArchivePassword(source: CredentialSource, env: NodeJS.ProcessEnv = process.env, section = 'archive'): string | null {
  if (source.username === null) {
    if (source.passwordEnv !== null || source.passwordFile !== null) {
      throw new ConfigError(`${section}.username: a password is configured but no username; set ${section}.username`, { context: { option: `${section}.username` } });
    }
    return null;
  }
  if (source.passwordEnv !== null && source.passwordFile !== null) {
    throw new ConfigError(`${section}.password_env and ${section}.password_file are both set; keep one`, { context: { option: `${section}.password_file` } });
  }
  if (source.passwordEnv !== null) {
    const value = env[source.passwordEnv];
    if (value === undefined || value === '') {
      throw new ConfigError(`${section}.password_env: environment variable ${source.passwordEnv} is not set (or empty)`, { context: { option: `${section}.password_env` } });
    }
    return value;
  }
  if (source.passwordFile !== null) return readSecretFile(source.passwordFile, `${section}.password_file`);
  throw new ConfigError(`${section}.username is set but neither ${section}.password_env nor ${section}.password_file is`, { context: { option: `${section}.username` } });
}

/** The Authorization header value for basic auth. */
export function basicAuthHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
