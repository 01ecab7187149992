// collectSecrets finds every secret a config holds; redactUri hides URI passwords.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/load.js';
import { collectSecrets, redactUri } from '../../src/config/secrets.js';
import { tempDir } from './helpers.js';

describe('redactUri', () => {
  it('hides the password and keeps user, host and database', () => {
    expect(redactUri('mongodb://user:pass@h/db')).toBe('mongodb://user:***@h/db');
    expect(redactUri('mongodb+srv://daq:p%40ss@c1.example.org,c2:27017/runs?tls=true')).toBe('mongodb+srv://daq:***@c1.example.org,c2:27017/runs?tls=true');
  });

  it('leaves URIs without a password alone', () => {
    expect(redactUri('mongodb://h:27017/db')).toBe('mongodb://h:27017/db');
    expect(redactUri('https://archive.example.org/x')).toBe('https://archive.example.org/x');
  });
});

describe('collectSecrets', () => {
  it('collects URI credentials, SMTP password, Slack webhook, archive password file and the uri_file contents', () => {
    const dir = tempDir();
    const uriFile = path.join(dir, 'mongo.uri');
    fs.writeFileSync(uriFile, 'mongodb://reader:fromFile99@db2/x\n');
    const passwordFile = path.join(dir, 'archive.pw');
    fs.writeFileSync(passwordFile, 'arch-pw-123456\n', { mode: 0o600 });
    const { config } = configFromObject(
      {
        rundb: { uri_file: uriFile },
        notify: { email: { user: 'u', password: 'smtp-pw-1' }, slack: { webhook_url: 'https://hooks.slack.com/services/T1/B2/abc' } },
        archive: { kind: 'http', url: 'https://archive.example.org/{run}.tar', username: 'daq', password_file: passwordFile },
      },
      { baseDir: dir, env: {} },
    );
    const secrets = collectSecrets(config);
    expect(secrets).toEqual(
      expect.arrayContaining([
        'mongodb://reader:fromFile99@db2/x',
        'reader:fromFile99',
        'fromFile99',
        'smtp-pw-1',
        'https://hooks.slack.com/services/T1/B2/abc',
        'arch-pw-123456',
      ]),
    );
    expect(secrets.some((s) => s.length < 3)).toBe(false);
  });

  it('collects both the raw and the percent-decoded Mongo password', () => {
    const { config } = configFromObject({ rundb: { uri: 'mongodb://daq:p%40ss@h/db' } }, { env: {} });
    expect(collectSecrets(config)).toEqual(expect.arrayContaining(['daq:p%40ss', 'p%40ss', 'p@ss']));
  });

  it('is empty for the defaults', () => {
    expect(collectSecrets(configFromObject({}, { env: {} }).config)).toEqual([]);
  });
});
