// `daqflow serve` as a real process: SIGTERM during a large reply drains it and exits 143; 50 concurrent clients
// stay within the load queue's memory bound.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach, describe, expect, test } from 'vitest';
import { readNpy, serveWorld, type ServeWorld } from './helpers.js';
import { reference } from './json-reference.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const running: ResultPromise[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts the CLI and resolves with its URL once it logs that it is serving. */
/** `daqflow serve` in a child process; `wrap` is an argv prefix that runs it (e.g. prlimit with its options). */
async function startCli(world: ServeWorld, sets: string[], wrap: string[] = []): Promise<{ child: ResultPromise; url: string; stderr: () => string }> {
  const args = [path.join(ROOT, 'bin', 'daqflow.js'), 'serve', '--port', '0', '--config', world.configFile, ...sets.flatMap((s) => ['--set', s])];
  const argv = [...wrap, process.execPath, ...args];
  const child = execa(argv[0]!, argv.slice(1), { reject: false, env: { DAQFLOW_CONFIG: undefined }, buffer: true });
  running.push(child);
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    void child.then((r) => reject(new Error(`serve exited ${r.exitCode} before serving: ${err}`)));
  });
  return { child, url, stderr: () => err };
}

function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(true));
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

function vmHwmBytes(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

describe('daqflow serve process', () => {
  test('SIGTERM during a large reply stops new connections, finishes the reply, and exits 143', async () => {
    const world = await serveWorld({ peaks: 3000, hits: 10 });
    const { child, url, stderr } = await startCli(world, ['serve.max_return_mb=20']);
    const body: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      http.get(`${url}/get_data?run_id=012100&target=peaks&max_n=0`, (res) => {
        expect(res.statusCode).toBe(200);
        res.once('data', (first: Buffer) => {
          body.push(first);
          // Hold the reply open (the socket buffers fill), signal the server, and read on only once it stopped listening.
          res.pause();
          child.kill('SIGTERM');
          waitFor(() => refused(url), 'the server to stop listening').then(() => {
            res.on('data', (d: Buffer) => body.push(d));
            res.on('end', resolve);
            res.resume();
          }, reject);
        });
        res.on('error', (e) => reject(new Error(`${e.message} after ${Buffer.concat(body).length} bytes; server said: ${stderr()}`)));
      }).on('error', reject);
    });
    await done;
    const rows = JSON.parse(Buffer.concat(body).toString('utf8')) as { area: number }[];
    expect(rows).toHaveLength(3000);
    expect(rows[2999]!.area).toBe(2999);
    const result = await child;
    expect(result.exitCode).toBe(143);
    expect(stderr()).toMatch(/SIGTERM: draining open requests/);
  }, 120_000);

  test('50 concurrent clients are all answered while loads never exceed the concurrency limit and memory stays bounded', async () => {
    const world = await serveWorld({ peaks: 3000, hits: 10 });
    const { child, url, stderr } = await startCli(world, ['serve.max_return_mb=20', 'serve.max_concurrent_loads=2']);
    expect(stderr()).not.toMatch(/WebAssembly/);
    const rowBytes = 3000 * world.peaks.layout.itemsize;
    const drain = async (query: string): Promise<number> => {
      const res = await fetch(`${url}/get_data?${query}`);
      expect(res.status).toBe(200);
      let n = 0;
      for await (const piece of res.body!) n += (piece as Uint8Array).length;
      return n;
    };
    // Warm up both encoders once so the baseline includes code and pools, not the burst.
    await drain('run_id=012100&target=peaks&max_n=0&format=npy');
    await drain('run_id=012100&target=peaks&max_n=0');
    const before = vmHwmBytes(child.pid!);
    const sizes = await Promise.all(Array.from({ length: 50 }, (_, i) => drain(`run_id=012100&target=peaks&max_n=0${i % 2 ? '&format=npy' : ''}`)));
    expect(sizes.filter((s, i) => i % 2 === 1 && s > rowBytes && s < rowBytes + 4096)).toHaveLength(25);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^daqflow_serve_loads_in_flight_max 2$/m);
    const growth = vmHwmBytes(child.pid!) - before;
    // What two slots may hold: per slot the load, its decoded and compressed chunks and a JSON piece (UTF-16, longer
    // than the rows) — up to ~6 × rowBytes each. Measured 33–73 MB (GC timing); 50 slots measured ~120 MB, so this
    // bound catches gross growth, and the in-flight maximum above is the exact check of the limit.
    expect(growth, `peak RSS grew ${(growth / 1e6).toFixed(0)} MB`).toBeLessThan(12 * rowBytes);
    child.kill('SIGTERM');
    expect((await child).exitCode).toBe(143);
  }, 180_000);

  test('under a virtual-memory limit that leaves WebAssembly no memory, replies fall back to JavaScript and lz4-napi and stay exact', async () => {
    // Each WebAssembly memory reserves several GiB of address space; with `ulimit -v` 8 GB (prlimit, util-linux) node
    // runs but the decode buffers and the JSON encoder's memory cannot be had. Replies must still be the stored rows,
    // byte for byte, and the JSON text the same.
    const world = await serveWorld({ peaks: 600, hits: 5000 });
    const { child, url, stderr } = await startCli(world, [], ['prlimit', `--as=${8e9}`, '--']);
    expect(stderr()).toMatch(/WARN .*no WebAssembly memory can be had .*ulimit -v/);
    for (const { target, rows, layout } of [{ target: 'peaks', ...world.peaks }, { target: 'hits', ...world.hits }]) {
      for (let k = 0; k < 3; k++) {
        const res = await fetch(`${url}/get_data?run_id=012100&target=${target}&max_n=0&format=npy`);
        expect(res.status, await res.clone().text().catch(() => '')).toBe(200);
        expect(Buffer.compare(readNpy(Buffer.from(await res.arrayBuffer())).data, Buffer.from(rows))).toBe(0);
      }
      const json = await fetch(`${url}/get_data?run_id=012100&target=${target}&max_n=0`);
      expect(json.status).toBe(200);
      expect(await json.text()).toBe(reference(layout, rows));
    }
    child.kill('SIGTERM');
    expect((await child).exitCode).toBe(143);
  }, 120_000);

  test('--dry-run checks the configuration and shows what would be served without listening', async () => {
    const world = await serveWorld({ peaks: 10, hits: 10 });
    const cli = (args: string[], env: Record<string, string | undefined> = {}) =>
      execa(process.execPath, [path.join(ROOT, 'bin', 'daqflow.js'), 'serve', '--config', world.configFile, ...args], { reject: false, env: { DAQFLOW_CONFIG: undefined, ...env } });
    const dry = await cli(['--dry-run', '--json', '--port', '8123']);
    expect(dry.exitCode).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, host: '127.0.0.1', port: 8123, auth: 'none', storage: world.roots });
    const noSecret = await cli(['--dry-run', '--set', 'serve.auth=token', '--set', 'serve.secret_env=SERVE_TOKEN_UNSET'], { SERVE_TOKEN_UNSET: undefined });
    expect(noSecret.exitCode).toBe(3);
    expect(noSecret.stderr.trim()).toBe('daqflow: error: serve.secret_env: environment variable SERVE_TOKEN_UNSET is not set (or empty)');
    const noSource = await cli(['--dry-run', '--set', 'serve.auth=token']);
    expect(noSource.exitCode).toBe(3);
    expect(noSource.stderr).toMatch(/serve\.auth: serve\.auth is token but neither serve\.secret_env nor serve\.secret_file is set/);
    const badPort = await cli(['--port', '70000']);
    expect(badPort.exitCode).toBe(3);
    expect(badPort.stderr.trim()).toBe('daqflow: error: --port: 70000 is not a TCP port (0–65535)');
  }, 60_000);

  test('an address in use is a usage error (exit 3) that names it', async () => {
    const world = await serveWorld({ peaks: 10, hits: 10 });
    const { child, url } = await startCli(world, []);
    const port = new URL(url).port;
    const second = await execa(process.execPath, [path.join(ROOT, 'bin', 'daqflow.js'), 'serve', '--config', world.configFile, '--port', port], { reject: false, env: { DAQFLOW_CONFIG: undefined } });
    expect(second.exitCode).toBe(3);
    expect(second.stderr).toContain(`daqflow: error: serve: 127.0.0.1:${port} is in use; pick another --port`);
    child.kill('SIGINT');
    expect((await child).exitCode).toBe(130);
  }, 60_000);
});
