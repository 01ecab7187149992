// The real WebDAV archive for tests: starts Debian nginx through scripts/nginx-up.sh (idempotent) and reads where it is.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll } from 'vitest';
import { HttpTarget, type HttpTargetOptions } from '../../src/archive/index.js';

export interface NginxServer {
  url: string;
  /** The same server over HTTPS, with a self-signed certificate (`caFile`). */
  tlsUrl: string;
  caFile: string;
  username: string;
  password: string;
  passwordFile: string;
  /** The folder nginx serves: tests alter files here to play a server that changed an object. */
  davRoot: string;
}

const root = path.resolve(import.meta.dirname, '..', '..');
const dir = process.env.DAQFLOW_NGINX_DIR ?? '/var/lib/daqflow-nginx';

/** Start (or find) the test nginx; fails — never skips — when it cannot run. */
export async function startNginx(): Promise<NginxServer> {
  const result = await execa('bash', [path.join(root, 'scripts/nginx-up.sh')], { reject: false, all: true });
  if (result.exitCode !== 0) throw new Error(`scripts/nginx-up.sh failed (exit ${result.exitCode}):\n${result.all}`);
  const info = JSON.parse(fs.readFileSync(path.join(dir, 'server.json'), 'utf8')) as { url: string; tls_url: string; ca_file: string; username: string; password_file: string; dav_root: string };
  return {
    url: info.url,
    tlsUrl: info.tls_url,
    caFile: info.ca_file,
    username: info.username,
    passwordFile: info.password_file,
    password: fs.readFileSync(info.password_file, 'utf8').trim(),
    davRoot: info.dav_root,
  };
}

const folders: string[] = [];
afterAll(() => {
  if (process.env.DAQFLOW_KEEP_TMP === '1') return;
  for (const folder of folders.splice(0)) fs.rmSync(path.join(dir, 'dav', folder), { recursive: true, force: true });
});

/** A folder name no other test uses, so parallel test files never see each other's objects; removed from the server after the file's tests. */
export function uniqueFolder(prefix: string): string {
  const folder = `${prefix}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  folders.push(folder);
  return folder;
}

/** An HttpTarget writing `{server}/{folder}/{run}.tar` on the test nginx. */
export function davTarget(server: NginxServer, folder: string, overrides: Partial<HttpTargetOptions> = {}): HttpTarget {
  return new HttpTarget({
    url: '{server}/{folder}/{run}.tar',
    values: { server: server.url, folder, object: 'run_record' },
    username: server.username,
    password: server.password,
    tls: { verify: true },
    connectTimeoutMs: 5000,
    idleTimeoutMs: 30_000,
    retries: 2,
    retryDelayMs: 50,
    ...overrides,
  });
}
