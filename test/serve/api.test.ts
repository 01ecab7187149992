// The runs and data APIs, /metrics, auth on and off, and the heartbeat, over real HTTP against an in-process server.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openRunStore } from '../../src/rundb/index.js';
import type { RunningServer } from '../../src/serve/run-serve.js';
import { serveWorld, startWorld, worldConfig, type ServeWorld } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
let world: ServeWorld;
let server: RunningServer;

beforeAll(async () => {
  world = await serveWorld({ peaks: 300, hits: 300 });
  const stateDir = path.join(world.dir, 'work', 'state');
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(path.join(stateDir, 'import.json'), JSON.stringify({ format: 'daqflow-ledger/1', stage: 'import', last_contiguous_run: 12100, done_above: [12102], failed: {}, updated_at: null }));
  server = await startWorld(world);
});
afterAll(async () => {
  await server?.stop();
});

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json(), headers: res.headers };
}

describe('GET /api/data/:run', () => {
  test('lists every stored dataset of the run across the storage roots with rows, chunks, size and lineage', async () => {
    const { status, body } = await getJson(`${server.url}/api/data/12100`);
    expect(status).toBe(200);
    expect(body.run).toBe('012100');
    const byType = Object.fromEntries(body.datasets.map((d: any) => [d.dataType, d]));
    expect(Object.keys(byType).sort()).toEqual(['hits', 'peaks']);
    expect(byType.peaks).toMatchObject({ state: 'complete', rows: 300, chunks: 3, root: world.roots[0], lineage: { peaks: ['Synth', '0.0.1', {}] } });
    expect(byType.peaks.size_mb).toBeCloseTo((300 * world.peaks.layout.itemsize) / 1e6, 6);
    expect(byType.hits).toMatchObject({ state: 'complete', rows: 300, root: world.roots[1] });
    expect(byType.peaks).not.toHaveProperty('path');
  });

  test('shows a dataset being written as writing', async () => {
    const { body } = await getJson(`${server.url}/api/data/012101`);
    expect(body.datasets).toEqual([expect.objectContaining({ dataType: 'peaks', state: 'writing', rows: 300 })]);
  });

  test.each(['..%2F..%2Fetc', '012100%2F..', '.hidden', '012100-peaks', '%00'])('refuses run %s', async (run) => {
    const { status, body } = await getJson(`${server.url}/api/data/${run}`);
    expect(status).toBe(400);
    expect(body.error).toMatch(/^run: .* is not a run id/);
  });
});

describe('GET /api/runs', () => {
  test('lists runs with the stage state, filtered by state and range, in pages', async () => {
    const all = await getJson(`${server.url}/api/runs`);
    expect(all.body).toEqual({
      stage: 'process',
      runs: [
        expect.objectContaining({ run: 12100, state: 'done' }),
        expect.objectContaining({ run: 12101, state: 'failed', reason: 'test failure' }),
        expect.objectContaining({ run: 12102, state: 'pending' }),
      ],
      next_after: null,
    });
    expect((await getJson(`${server.url}/api/runs?state=failed`)).body.runs.map((r: any) => r.run)).toEqual([12101]);
    expect((await getJson(`${server.url}/api/runs?state=done,pending`)).body.runs.map((r: any) => r.run)).toEqual([12100, 12102]);
    expect((await getJson(`${server.url}/api/runs?range=012101-012102`)).body.runs.map((r: any) => r.run)).toEqual([12101, 12102]);
    expect((await getJson(`${server.url}/api/runs?stage=import`)).body.runs.map((r: any) => r.state)).toEqual(['pending', 'pending', 'pending']);
    const first = await getJson(`${server.url}/api/runs?limit=2`);
    expect(first.body.runs.map((r: any) => r.run)).toEqual([12100, 12101]);
    expect(first.body.next_after).toBe('012101');
    const second = await getJson(`${server.url}/api/runs?limit=2&after=${first.body.next_after}`);
    expect(second.body.runs.map((r: any) => r.run)).toEqual([12102]);
    expect(second.body.next_after).toBeNull();
  });

  test.each([
    ['state=finished', /--state: "finished" is not a state/],
    ['stage=..%2Fx', /stage: "..\/x" is not a stage name/],
    ['range=1-x', /range: "1-x" is not a run or a run range/],
    ['range=20-10', /range: 20-10 ends before it starts/],
    ['limit=0', /limit: "0" must be a whole number from 1 to 1000/],
    ['limit=5000', /limit: "5000"/],
    ['after=abc', /after: "abc" is not a run id/],
    ['state=failed&state=done', /state: given 2 times/],
    ['sort=desc', /unknown parameter "sort"/],
    ['stage=%7B%22%24ne%22%3A1%7D', /stage: .* is not a stage name/],
  ])('refuses %s with a 400', async (query, message) => {
    const { status, body } = await getJson(`${server.url}/api/runs?${query}`);
    expect(status).toBe(400);
    expect(body.error).toMatch(message);
  });
});

describe('GET /api/runs/:run', () => {
  test('is the same object `daqflow runs show --json` prints', async () => {
    const api = await getJson(`${server.url}/api/runs/012101`);
    expect(api.status).toBe(200);
    const cli = await execa(process.execPath, [path.join(ROOT, 'bin', 'daqflow.js'), '--config', world.configFile, 'runs', 'show', '012101', '--json'], { reject: false, env: { DAQFLOW_CONFIG: undefined } });
    expect(cli.exitCode).toBe(0);
    expect(api.body).toEqual(JSON.parse(cli.stdout));
    expect(api.body).toMatchObject({ number: 12101, name: '012101', daqflow: { process: { state: 'failed' } } });
  });

  test('a run that is not in the runs DB is a 404; a bad id a 400', async () => {
    expect(await getJson(`${server.url}/api/runs/099999`)).toMatchObject({ status: 404, body: { error: 'run 099999 is not in the runs DB' } });
    expect(await getJson(`${server.url}/api/runs/12100x`)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^run: "12100x" is not a run id/) } });
  });

  test('an unknown endpoint is a 404 that lists the endpoints', async () => {
    expect(await getJson(`${server.url}/api/nothing`)).toMatchObject({ status: 404, body: { error: expect.stringContaining('(endpoints: /, /get_data, ') } });
  });
});

describe('GET /metrics', () => {
  test('has runs by stage and state, the ledger contiguous mark, jobs, and per-route request counts and latencies', async () => {
    await fetch(`${server.url}/get_data?run_id=012100&target=hits&max_n=1`);
    await fetch(`${server.url}/get_data?run_id=012100&target=nothing`);
    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    const text = await res.text();
    expect(text).toMatch(/^daqflow_stage_runs\{stage="process",state="failed"\} 1$/m);
    expect(text).toMatch(/^daqflow_stage_runs\{stage="process",state="done"\} 1$/m);
    expect(text).toMatch(/^daqflow_stage_runs\{stage="process",state="pending"\} 1$/m);
    expect(text).toMatch(/^daqflow_stage_runs\{stage="import",state="pending"\} 3$/m);
    expect(text).toMatch(/^daqflow_stage_last_contiguous_run\{stage="import"\} 12100$/m);
    expect(text).toMatch(/^daqflow_jobs\{state="running"\} 0$/m);
    expect(text).toMatch(/^daqflow_serve_requests_total\{route="\/get_data",method="GET",status="200"\} [1-9]\d*$/m);
    expect(text).toMatch(/^daqflow_serve_requests_total\{route="\/get_data",method="GET",status="404"\} [1-9]\d*$/m);
    expect(text).toMatch(/^daqflow_serve_request_duration_seconds_bucket\{le="\+Inf",route="\/get_data"\} [1-9]\d*$/m);
    expect(text).toMatch(/^daqflow_serve_loads_in_flight_max [1-9]\d*$/m);
  });
});

describe('heartbeat', () => {
  test('while serving, the host heartbeat says serving and the monitor collection holds a microstrax-style document', async () => {
    const store = await openRunStore(worldConfig(world));
    try {
      const hosts = await store.listHosts();
      expect(hosts).toContainEqual(expect.objectContaining({ host: 'serve-host', command: 'serve', state: 'serving', pid: process.pid, url: server.url }));
      const samples = await store.listMonitorSamples();
      expect(samples).toContainEqual(expect.objectContaining({ host: 'serve-host', state: 'hosting microstrax', max_load_mb: 1000, max_return_mb: 10, n_dirs: 2 }));
    } finally {
      await store.close();
    }
  });
});

describe('auth', () => {
  test('off by default: requests without Authorization are served', async () => {
    expect((await fetch(`${server.url}/api/runs`)).status).toBe(200);
  });

  test('token auth from an environment variable: 401 without or with a wrong token, 200 with the right one', async () => {
    const secured = await startWorld(world, ['serve.auth=token', 'serve.secret_env=SERVE_TEST_TOKEN'], { SERVE_TEST_TOKEN: 's3cret-token' });
    try {
      for (const path of ['/get_data?run_id=012100&target=hits&max_n=1', '/api/runs', '/api/runs/012100', '/api/data/012100', '/metrics']) {
        const none = await fetch(`${secured.url}${path}`);
        expect(none.status, path).toBe(401);
        expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(await none.json()).toEqual({ error: expect.stringMatching(/^authentication required/) });
        expect((await fetch(`${secured.url}${path}`, { headers: { authorization: 'Bearer wrong' } })).status, path).toBe(401);
        expect((await fetch(`${secured.url}${path}`, { headers: { authorization: 'Bearer s3cret-token' } })).status, path).toBe(200);
      }
    } finally {
      await secured.stop();
    }
  });

  test('basic auth from a 0600 file; a file others can read refuses to start', async () => {
    const file = path.join(world.dir, 'serve-password');
    fs.writeFileSync(file, 'pa55word\n', { mode: 0o600 });
    const secured = await startWorld(world, ['serve.auth=basic', 'serve.username=shifter', `serve.secret_file=${file}`]);
    try {
      const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
      expect((await fetch(`${secured.url}/api/runs`)).headers.get('www-authenticate')).toMatch(/^Basic realm="daqflow"/);
      expect((await fetch(`${secured.url}/api/runs`, { headers: basic('shifter', 'wrong') })).status).toBe(401);
      expect((await fetch(`${secured.url}/api/runs`, { headers: basic('intruder', 'pa55word') })).status).toBe(401);
      expect((await fetch(`${secured.url}/api/runs`, { headers: basic('shifter', 'pa55word') })).status).toBe(200);
    } finally {
      await secured.stop();
    }
    fs.chmodSync(file, 0o644);
    await expect(startWorld(world, ['serve.auth=basic', 'serve.username=shifter', `serve.secret_file=${file}`])).rejects.toThrow(/serve.secret_file: .* has mode 0644; other users could read the token or password — run chmod 600/);
  });
});
