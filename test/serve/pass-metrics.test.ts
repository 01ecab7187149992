// Pass durations in /metrics: real import passes (the CLI in a child process) record their last pass in the state
// folder, and a running server exports it at the next scrape.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { memoryLogger } from '../../src/log/index.js';
import { LAST_PASS_FORMAT, readLastPasses } from '../../src/pass/last-pass.js';
import { startServe, type RunningServer } from '../../src/serve/run-serve.js';
import { reportWorld, type ReportWorld } from '../report/helpers.js';

/** The value of one sample line of the Prometheus text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('pass durations in /metrics', () => {
  let world: ReportWorld;
  let server: RunningServer;
  const scrape = async () => (await fetch(`${server.url}/metrics`)).text();

  beforeAll(async () => {
    world = reportWorld();
    const { config } = loadConfig({ configPath: world.configFile, env: {}, sets: ['serve.port=0'] });
    server = await startServe({ config, logger: memoryLogger() });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('no pass has run: no pass series', async () => {
    const text = await scrape();
    expect(text).toMatch(/^# TYPE daqflow_pass_duration_seconds gauge$/m);
    expect(text).not.toMatch(/^daqflow_pass_duration_seconds\{/m);
  });

  test('each import pass replaces the stage record: its duration, start, end, exit code and run counts', async () => {
    for (const run of [1, 2, 3]) world.writeRun(run);
    world.writeBrokenRun(4);
    const before = Date.now() / 1000;
    expect((await world.cli(['import'])).code).toBe(1);
    const after = Date.now() / 1000;

    const file = path.join(world.dir, 'work', 'state', 'import.last-pass.json');
    const record = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(record).toMatchObject({ format: LAST_PASS_FORMAT, stage: 'import', mode: 'full', host: 'report-host', exit_code: 1, outcome: 'runs_failed' });
    expect(record.counts).toEqual({ candidates: 4, done: 3, failed: 1, skipped: 0, pending: 0, aborted: 0 });

    let text = await scrape();
    const duration = sample(text, 'daqflow_pass_duration_seconds{stage="import"}')!;
    const start = sample(text, 'daqflow_pass_last_start_timestamp_seconds{stage="import"}')!;
    const end = sample(text, 'daqflow_pass_last_end_timestamp_seconds{stage="import"}')!;
    expect(duration).toBeGreaterThan(0);
    expect(start).toBeGreaterThanOrEqual(Math.floor(before));
    expect(end).toBeLessThanOrEqual(after);
    expect(end - start).toBeCloseTo(duration, 1);
    expect(sample(text, 'daqflow_pass_last_exit_code{stage="import"}')).toBe(1);
    expect(sample(text, 'daqflow_pass_last_runs{stage="import",result="failed"}')).toBe(1);
    expect(sample(text, 'daqflow_pass_last_runs{stage="import",result="done"}')).toBe(3);
    // The ledger's contiguous mark is still read from the ledger; the pass record is not mistaken for one.
    expect(text).toMatch(/^daqflow_stage_last_contiguous_run\{stage="import"\} 3$/m);
    expect(text).not.toMatch(/stage="import\.last-pass"/);

    // report-status shows the same last pass per stage.
    const report = await world.cli(['report-status', '--json']);
    expect(JSON.parse(report.stdout).stages.import.last_pass).toEqual({ started_at: record.started_at, ended_at: record.ended_at, duration_s: record.duration_s, exit_code: 1, outcome: 'runs_failed' });
    expect(JSON.parse(report.stdout).stages.migrate.last_pass).toBeNull();
    expect((await world.cli(['report-status'])).stdout).toContain(`last pass ended ${record.ended_at} after ${record.duration_s.toFixed(1)} s, exit 1 (runs_failed)`);

    world.writeRun(4);
    expect((await world.cli(['import', '--retry-failed-import'])).code).toBe(0);
    text = await scrape();
    expect(sample(text, 'daqflow_pass_last_exit_code{stage="import"}')).toBe(0);
    expect(sample(text, 'daqflow_pass_last_start_timestamp_seconds{stage="import"}')).toBeGreaterThanOrEqual(end);
    expect(sample(text, 'daqflow_pass_last_runs{stage="import",result="done"}')).toBe(1);
    expect(sample(text, 'daqflow_pass_last_runs{stage="import",result="failed"}')).toBe(0);
  });

  test('a dry run records nothing; a corrupt record is left out of /metrics, not an error', async () => {
    const file = path.join(world.dir, 'work', 'state', 'import.last-pass.json');
    const kept = fs.readFileSync(file, 'utf8');
    world.writeRun(5);
    expect((await world.cli(['import', '--dry-run'])).code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(kept);

    fs.writeFileSync(file, '{"format": "daqflow-last-pass/1", "stage": ');
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).not.toMatch(/^daqflow_pass_duration_seconds\{stage="import"\}/m);
    expect(readLastPasses(path.dirname(file))).toEqual([]);
  });
});
