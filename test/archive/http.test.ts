// The HTTP target against a real nginx WebDAV server: round trip, absent objects, auth, outages, retries, aborted uploads.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { digestOf, HttpTarget, openArchiveTarget } from '../../src/archive/index.js';
import { configFromObject } from '../../src/config/load.js';
import { ConfigError, ServiceUnavailableError } from '../../src/errors.js';
import { deadPort, startFaultProxy } from '../support/fault-proxy.js';
import { davTarget, startNginx, uniqueFolder, type NginxServer } from '../support/nginx.js';
import { makeTmpDir } from '../support/tmp.js';

let nginx: NginxServer;
beforeAll(async () => {
  nginx = await startNginx();
});

const md5 = (b: Buffer): string => crypto.createHash('md5').update(b).digest('hex');

describe('HttpTarget on nginx WebDAV', () => {
  it('uploads a streamed object with and without Content-Length and reads the same bytes back', async () => {
    const folder = uniqueFolder('http-roundtrip');
    const target = davTarget(nginx, folder);
    const blob = crypto.randomBytes(3_000_000);
    const sent = await target.put(12100, () => Readable.from([blob.subarray(0, 1_000_000), blob.subarray(1_000_000)]), { size: blob.length });
    expect(sent).toEqual({ md5: md5(blob), size: blob.length });
    expect(fs.readFileSync(path.join(nginx.davRoot, folder, '012100.tar')).equals(blob)).toBe(true);
    expect(await digestOf((await target.get(12100))!)).toEqual(sent);
    const chunked = await target.put(12101, () => Readable.from([blob]));
    expect(chunked.md5).toBe(md5(blob));
    expect(await digestOf((await target.get(12101))!)).toEqual(chunked);
    expect(target.locate(12100)).toBe(`${nginx.url}/${folder}/012100.tar`);
  });

  it('returns null for an object that does not exist', async () => {
    expect(await davTarget(nginx, uniqueFolder('http-absent')).get(99)).toBeNull();
  });

  it('percent-encodes template values and builds UconDB-style URLs', () => {
    const target = new HttpTarget({
      ...davOptions(),
      url: '{server}/data/{folder}/{object}/key={number}',
      values: { server: 'https://ucon.example.org:9443/app/', folder: 'run records/../x', object: 'cfg?&#' },
    });
    expect(target.locate(12100)).toBe('https://ucon.example.org:9443/app/data/run%20records%2F..%2Fx/cfg%3F%26%23/key=12100');
  });

  it('refuses credentials inside the URL and unknown placeholders, naming the option', () => {
    expect(() => new HttpTarget({ ...davOptions(), url: 'https://u:secret@h/{run}' })).toThrow(/archive\.url: credentials in the URL are not allowed/);
    expect(() => new HttpTarget({ ...davOptions(), url: 'https://h/{runs}' })).toThrow(/unknown placeholder \{runs\}/);
  });

  it('reports a wrong password as a configuration error (exit 3) that never shows the password', async () => {
    const target = davTarget(nginx, uniqueFolder('http-auth'), { password: 'not-the-password-42' });
    const error = (await target.put(1, () => Readable.from([Buffer.from('x')])).catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.exitCode).toBe(3);
    expect(error.message).toMatch(/PUT http:\/\/127\.0\.0\.1:\d+\/http-auth-.*\/000001\.tar: HTTP 401 .*check archive\.username/);
    expect(error.message).not.toContain('not-the-password-42');
    expect(error.message).not.toContain(Buffer.from(`${nginx.username}:not-the-password-42`).toString('base64'));
  });

  it('says the archive is unreachable (exit 4) after its retries when nothing listens', async () => {
    const port = await deadPort();
    const target = new HttpTarget({ ...davOptions(), url: `http://127.0.0.1:${port}/{run}.tar`, retries: 2, retryDelayMs: 10 });
    const error = (await target.get(3).catch((e: unknown) => e)) as ServiceUnavailableError;
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error.exitCode).toBe(4);
    expect(error.message).toBe(`archive: GET http://127.0.0.1:${port}/000003.tar failed 3 times; last: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('retries an HTTP 500 and then succeeds, sending the whole body again', async () => {
    const folder = uniqueFolder('http-500');
    const proxy = await startFaultProxy(nginx.url, (req, i) => (req.method === 'PUT' && i === 0 ? { status: 500 } : 'forward'));
    try {
      const target = davTarget(nginx, folder, { values: { server: proxy.url, folder, object: 'o' } });
      const blob = crypto.randomBytes(200_000);
      const sent = await target.put(4, () => Readable.from([blob]), { size: blob.length });
      expect(sent).toEqual({ md5: md5(blob), size: blob.length });
      expect(proxy.log).toEqual([`PUT /${folder}/000004.tar -> 500`, `PUT /${folder}/000004.tar -> forwarded`]);
      expect(fs.readFileSync(path.join(nginx.davRoot, folder, '000004.tar')).equals(blob)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('reports a download cut mid-body as the archive unreachable (exit 4), never as a shorter object', async () => {
    const folder = uniqueFolder('http-cut');
    const blob = crypto.randomBytes(1_000_000);
    await davTarget(nginx, folder).put(5, () => Readable.from([blob]), { size: blob.length });
    const proxy = await startFaultProxy(nginx.url, () => ({ cutResponseAfter: 300_000 }));
    try {
      const target = davTarget(nginx, folder, { values: { server: proxy.url, folder, object: 'o' } });
      const error = (await digestOf((await target.get(5))!).catch((e: unknown) => e)) as ServiceUnavailableError;
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error.exitCode).toBe(4);
      expect(error.message).toMatch(new RegExp(`^archive: GET ${proxy.url}/${folder}/000005\\.tar: the connection broke after 300000 bytes of the body \\(`));
      expect(proxy.log).toEqual([`GET /${folder}/000005.tar -> cut`]);
    } finally {
      await proxy.close();
    }
  });

  it('gives up with exit 4 when every attempt gets HTTP 500', async () => {
    const proxy = await startFaultProxy(nginx.url, () => ({ status: 500 }));
    try {
      const folder = uniqueFolder('http-500-always');
      const target = davTarget(nginx, folder, { values: { server: proxy.url, folder, object: 'o' }, retries: 1 });
      const error = await target.put(4, () => Readable.from([Buffer.from('x')])).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect((error as Error).message).toMatch(/failed 2 times; last: HTTP 500 \(injected 500\)/);
    } finally {
      await proxy.close();
    }
  });

  it('leaves no object on the server when the blob fails mid-upload', async () => {
    const folder = uniqueFolder('http-broken-body');
    const target = davTarget(nginx, folder);
    async function* failing() {
      yield Buffer.alloc(500_000, 7);
      throw new Error('source file vanished');
    }
    await expect(target.put(6, () => Readable.from(failing()), { size: 1_000_000 })).rejects.toThrow(/source file vanished/);
    await expect(target.put(7, () => Readable.from(failing()))).rejects.toThrow(/source file vanished/);
    expect(await target.get(6)).toBeNull();
    expect(await target.get(7)).toBeNull();
  });

  it('reads the password from a 0600 file and refuses a file others can read', async () => {
    const dir = makeTmpDir();
    const file = path.join(dir, 'pw');
    fs.writeFileSync(file, `${nginx.password}\n`, { mode: 0o600 });
    const folder = uniqueFolder('http-pwfile');
    const archive = { kind: 'http', url: '{server}/{folder}/{run}.tar', server: nginx.url, folder, username: nginx.username, password_file: file };
    const target = openArchiveTarget(configFromObject({ archive }, { env: {}, baseDir: dir }).config);
    await target.put(8, () => Readable.from([Buffer.from('ok')]));
    fs.chmodSync(file, 0o644);
    expect(() => openArchiveTarget(configFromObject({ archive }, { env: {}, baseDir: dir }).config)).toThrow(
      `archive.password_file: ${file} has mode 0644; other users could read the password — run chmod 600 ${file}`,
    );
  });

  it('verifies TLS certificates by default (exit 4 naming the fix) and trusts archive.ca_file', async () => {
    const folder = uniqueFolder('http-tls');
    const archive = { kind: 'http', url: '{server}/{folder}/{run}.tar', server: nginx.tlsUrl, folder, username: nginx.username, password_env: 'PW', retries: 0 };
    const env = { PW: nginx.password };
    const untrusted = openArchiveTarget(configFromObject({ archive }, { env: {} }).config, env);
    const error = await untrusted.put(1, () => Readable.from([Buffer.from('x')])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as Error).message).toBe(`archive: PUT ${nginx.tlsUrl}/${folder}/000001.tar: TLS verification failed (DEPTH_ZERO_SELF_SIGNED_CERT); set archive.ca_file to your site CA`);
    expect(await untrusted.get(1).catch(() => 'refused')).toBe('refused');
    const trusted = openArchiveTarget(configFromObject({ archive: { ...archive, ca_file: nginx.caFile } }, { env: {} }).config, env);
    const sent = await trusted.put(1, () => Readable.from([Buffer.from('over tls')]));
    expect(await digestOf((await trusted.get(1))!)).toEqual(sent);
  });

  it('reads the password from the environment variable the config names', async () => {
    const folder = uniqueFolder('http-pwenv');
    const archive = { kind: 'http', url: '{server}/{folder}/{run}.tar', server: nginx.url, folder, username: nginx.username, password_env: 'ARCHIVE_PW' };
    const { config } = configFromObject({ archive }, { env: {} });
    await openArchiveTarget(config, { ARCHIVE_PW: nginx.password }).put(9, () => Readable.from([Buffer.from('ok')]));
    expect(() => openArchiveTarget(config, {})).toThrow('archive.password_env: environment variable ARCHIVE_PW is not set (or empty)');
  });
});

function davOptions() {
  return {
    url: '{server}/{folder}/{run}.tar',
    values: { server: 'http://127.0.0.1:1', folder: 'f', object: 'o' },
    username: null,
    password: null,
    tls: { verify: true },
    connectTimeoutMs: 2000,
    idleTimeoutMs: 5000,
    retries: 0,
    retryDelayMs: 10,
  };
}
