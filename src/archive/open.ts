// The archive target the configuration describes (archive.kind), with its credentials read and checked.
import fs from 'node:fs';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { readArchivePassword } from './credentials.js';
import { FilesystemTarget } from './filesystem.js';
import { HttpTarget } from './http.js';
import type { ArchiveTarget } from './target.js';

export function openArchiveTarget(config: Pick<Config, 'archive'>, env: NodeJS.ProcessEnv = process.env): ArchiveTarget {
  const a = config.archive;
  const values = { server: a.server ?? undefined, folder: a.folder, object: a.object };
  if (a.kind === 'filesystem') {
    if (a.path === null) throw new ConfigError('archive.path: not set; name the archive folder (archive.kind is filesystem)', { context: { option: 'archive.path' } });
    return new FilesystemTarget({ root: a.path, fileName: a.file_name, values });
  }
  if (a.url === null) throw new ConfigError('archive.url: not set; give the URL template (archive.kind is http)', { context: { option: 'archive.url' } });
  let ca: string | undefined;
  if (a.ca_file !== null) {
    try {
      ca = fs.readFileSync(a.ca_file, 'utf8');
    } catch (error) {
      throw new ConfigError(`archive.ca_file: cannot read ${a.ca_file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { context: { option: 'archive.ca_file' } });
    }
  }
  return new HttpTarget({
    url: a.url,
    values,
    username: a.username,
    password: readArchivePassword({ username: a.username, passwordEnv: a.password_env, passwordFile: a.password_file }, env),
    tls: { verify: a.tls_verify, ca },
    connectTimeoutMs: a.connect_timeout_s * 1000,
    idleTimeoutMs: a.timeout_s * 1000,
    retries: a.retries,
    retryDelayMs: a.retry_delay_s * 1000,
  });
}
