// report-status over prepared states: gaps, failures, a dead host, jobs in flight, drift of every kind, the documented --json schema.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReport, reportJsonSchema, reportSchema, type Report } from '../../src/report/index.js';
import { reportWorld, type ReportWorld } from './helpers.js';

const root = path.resolve(import.meta.dirname, '..', '..');

/** Runs 1–4, 6, 10–12 in the source (5 and 7–9 never existed); run 3's run record is broken, so its import fails. */
async function preparedWorld(): Promise<ReportWorld> {
  const world = reportWorld();
  for (const run of [1, 2, 4, 6, 10, 11, 12]) world.writeRun(run);
  world.writeBrokenRun(3);
  expect((await world.cli(['import'])).code).toBe(1);
  expect((await world.cli(['migrate'])).code).toBe(0);
  return world;
}

const parseJson = (stdout: string): Report => reportSchema.parse(JSON.parse(stdout));

describe('report-status', () => {
  let world: ReportWorld;
  beforeAll(async () => {
    world = await preparedWorld();
  });

  it('reports each source with its ranges and gaps, the import failure with its reason, and what to run', async () => {
    const result = await world.cli(['report-status', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJson(result.stdout);
    expect(report.sources.live).toMatchObject({ count: 8, min: 1, max: 12, ranges: { first: [[1, 4], [6, 6], [10, 12]] }, gaps: { first: [[5, 5], [7, 9]] } });
    expect(report.sources.rundb.count).toBe(8); // run 3 has a document to hold its failed state
    expect(report.sources.archive).toMatchObject({ count: 7, ranges: { first: [[1, 2], [4, 4], [6, 6], [10, 12]] } });
    const imp = report.stages.import;
    expect(imp.ledger).toMatchObject({ present: true, last_contiguous_run: 2, error: null });
    expect(imp.ledger.done_above.first).toEqual([[4, 4], [6, 6], [10, 12]]);
    expect(imp.failed.count).toBe(1);
    expect(imp.failed.first[0]).toMatchObject({ run: 3, n_failures: 1 });
    expect(imp.failed.first[0]!.reason).toMatch(/run_info\.json/);
    expect(imp.failed.first[0]!.next_retry).not.toBeNull();
    expect(imp.runs_db_states).toMatchObject({ done: 7, failed: 1 });
    expect(report.stages.migrate).toMatchObject({ source_runs: 7, done_runs: 7, pending_count: 0, failed: { count: 0 } });
    expect(report.stages.process).toMatchObject({ pending_count: 8, runs_db_states: { pending: 8 } });
    expect(report.stages.rechunk.configured).toBe(false);
    expect(report.recommendations.map((r) => r.command)).toContain('daqflow import --retry-failed-import');
    expect(report.recommendations.some((r) => r.text === 'run `daqflow auto-process` for 8 runs (000001–000004, 000006, 000010–000012)')).toBe(true);
    expect(report.recommendations.map((r) => r.n)).toEqual(report.recommendations.map((_, i) => i + 1));
    expect(report.compare_state).toBe(false);
    expect(Object.values(report.stages).every((s) => s.drift === null)).toBe(true);
  });

  it('shows no next retry for a run that reached the failure maximum (the pass gave up on it)', async () => {
    const result = await world.cli(['report-status', '--json', '--set', 'retry.max_failures=1']);
    expect(result.code, result.stderr).toBe(0);
    expect(parseJson(result.stdout).stages.import.failed.first[0]).toMatchObject({ run: 3, n_failures: 1, next_retry: null });
    const text = await world.cli(['report-status', '--set', 'retry.max_failures=1']);
    expect(text.stdout).toMatch(/000003 ×1 next retry never \(gave up\): .*run_info\.json/);
  });

  it('prints the same as text, recommendations numbered last', async () => {
    const result = await world.cli(['report-status']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('live/run-record folders: 8 runs 000001–000012; ranges 000001–000004, 000006, 000010–000012; gaps 000005, 000007–000009');
    expect(result.stdout).toMatch(/failed 1:\n\s+000003 ×1 next retry \S+: .*run_info\.json/);
    expect(result.stdout).toMatch(/Recommendations:\n {2}1\. /);
  });

  it('flags a host whose heartbeat stopped as dead, and lists jobs in flight oldest first with their age', async () => {
    const store = await world.store();
    const now = Date.now();
    try {
      await store.heartbeat({ host: 'node-alive', command: 'auto-process', pid: 11, state: 'pass', version: '0.1.0', time: new Date(now) });
      await store.heartbeat({ host: 'node-gone', command: 'auto-process', pid: 12, state: 'pass', version: '0.1.0', time: new Date(now - 3600_000) });
      await store.updateStage(10, 'process', { set: { state: 'submitted', job_id: '4242', scheduler: 'slurm', host: 'node-gone', submitted_at: new Date(now - 7200_000) } });
      await store.updateStage(11, 'process', { set: { state: 'running', job_id: '4243', scheduler: 'slurm', host: 'node-alive', submitted_at: new Date(now - 60_000) } });
      const report = await buildReport({ config: world.config(), store, now: () => new Date(now) });
      expect(report.hosts.map((h) => [h.host, h.dead])).toEqual([['node-alive', false], ['node-gone', true]]);
      expect(report.recommendations.some((r) => r.text.startsWith('host node-gone (auto-process) is dead'))).toBe(true);
      expect(report.jobs_in_flight).toMatchObject({ count: 2, oldest_age_s: 7200 });
      expect(report.jobs_in_flight.jobs.map((j) => [j.run, j.job_id, j.age_s])).toEqual([[10, '4242', 7200], [11, '4243', 60]]);
      expect(report.processing_states).toMatchObject({ submitted: 1, running: 1, pending: 6 });
    } finally {
      await store.updateStage(10, 'process', { set: { state: 'pending' }, unset: ['job_id', 'scheduler', 'submitted_at'] });
      await store.updateStage(11, 'process', { set: { state: 'pending' }, unset: ['job_id', 'scheduler', 'submitted_at'] });
      await store.close();
    }
  });

  it('says "everything is in sync" when every stage is done and nothing failed', async () => {
    // A full disk on the test machine is not what this test is about.
    const w = reportWorld({ report: { disk_warn_fraction: 1 } });
    for (const run of [1, 2, 3]) w.writeRun(run);
    expect((await w.cli(['import'])).code).toBe(0);
    expect((await w.cli(['migrate'])).code).toBe(0);
    const store = await w.store();
    try {
      for (const run of [1, 2, 3]) await store.updateStage(run, 'process', { set: { state: 'done' } });
    } finally {
      await store.close();
    }
    const result = await w.cli(['report-status', '--compare-state']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Recommendations:\n {2}1\. everything is in sync\n$/);
  });

  it('names a run that is in the archive but missing from the runs DB', async () => {
    fs.writeFileSync(path.join(world.archive, '000099.tar'), 'an object an older archiver left');
    try {
      const report = await buildReport({ config: world.config() });
      expect(report.sources.archive.max).toBe(99);
      expect(report.recommendations.some((r) => r.text === '1 run in the archive is missing from the runs DB (first: 99)')).toBe(true);
    } finally {
      fs.rmSync(path.join(world.archive, '000099.tar'));
    }
  });

  it('prints --json that the schema in docs/report-schema.md describes, key for key', async () => {
    const doc = fs.readFileSync(path.join(root, 'docs', 'report-schema.md'), 'utf8');
    const block = /```json\n([\s\S]*?)\n```/.exec(doc);
    expect(block, 'docs/report-schema.md has a ```json block with the JSON Schema').not.toBeNull();
    expect(JSON.parse(block![1]!)).toEqual(reportJsonSchema());
    const result = await world.cli(['report-status', '--compare-state', '--json']);
    const parsed = reportSchema.safeParse(JSON.parse(result.stdout));
    expect(parsed.success, parsed.error?.message).toBe(true);
  });
});

describe('report-status --compare-state', () => {
  it('finds each kind of drift between the ledgers and the sources', async () => {
    const world = await preparedWorld();
    const clean = await world.cli(['report-status', '--compare-state', '--json']);
    expect(clean.code, clean.stderr).toBe(0);
    const before = parseJson(clean.stdout);
    expect(before.drift_found).toBe(false);
    expect(before.stages.import.drift).toEqual([]);

    // import: the ledger claims run 3 (failed in truth) and everything up to 12, has a stale failure for 4, and a run 50 that does not exist.
    const imp = world.ledger('import');
    fs.writeFileSync(world.ledgerFile('import'), JSON.stringify({ ...imp, last_contiguous_run: 12, done_above: [50], failed: { 4: { n_failures: 2, reason: 'old', last_attempt: imp.updated_at, next_retry: null } } }));
    // migrate: the ledger is behind (mark at run 2, nothing above), so runs the archive has are not recorded.
    const mig = world.ledger('migrate');
    fs.writeFileSync(world.ledgerFile('migrate'), JSON.stringify({ ...mig, last_contiguous_run: 2, done_above: [] }));
    // process: a corrupt ledger.
    fs.mkdirSync(path.dirname(world.ledgerFile('auto_process')), { recursive: true });
    fs.writeFileSync(world.ledgerFile('auto_process'), '{"format": "daqflow-ledger/1", "stage": ');

    const result = await world.cli(['report-status', '--compare-state', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJson(result.stdout);
    expect(report.drift_found).toBe(true);
    const kinds = (stage: keyof Report['stages']) => Object.fromEntries(report.stages[stage].drift!.map((d) => [d.kind, d]));
    const i = kinds('import');
    expect(Object.keys(i).sort()).toEqual(['done_but_missing', 'done_not_in_source', 'failed_but_done', 'mark_ahead']);
    expect(i.mark_ahead!.detail).toBe('last_contiguous_run is 000012; the sources say 000002');
    expect(i.done_but_missing!.runs.first).toEqual([[3, 3]]);
    expect(i.done_not_in_source!.runs.first).toEqual([[50, 50]]);
    expect(i.failed_but_done!.runs.first).toEqual([[4, 4]]);
    const m = kinds('migrate');
    expect(Object.keys(m).sort()).toEqual(['done_not_recorded', 'mark_behind']);
    expect(m.mark_behind!.detail).toBe('last_contiguous_run is 000002; the sources say 000012');
    expect(m.done_not_recorded!.runs.first).toEqual([[4, 4], [6, 6], [10, 12]]);
    expect(kinds('process').ledger_corrupt!.detail).toMatch(/auto_process\.json.*corrupt/);
    expect(report.recommendations.filter((r) => r.command?.startsWith('daqflow recover-state')).map((r) => r.command)).toEqual([
      'daqflow recover-state import --dry-run', 'daqflow recover-state migrate --dry-run', 'daqflow recover-state process --dry-run',
    ]);

    // The archiver's cron spelling reaches the same report; --fail-on-drift turns drift into exit 1.
    const archiver = await world.cli(['--report-status', '--compare-state']);
    expect(archiver.code, archiver.stderr).toBe(0);
    expect(archiver.stdout).toContain('DRIFT mark_ahead: last_contiguous_run is 000012; the sources say 000002');
    expect((await world.cli(['report-status', '--compare-state', '--fail-on-drift'])).code).toBe(1);

    // A ledger that was never written while the destination has runs.
    fs.rmSync(world.ledgerFile('migrate'));
    const missing = parseJson((await world.cli(['report-status', '--compare-state', '--json'])).stdout);
    expect(missing.stages.migrate.drift!.map((d) => d.kind)).toEqual(['ledger_missing']);
  });
});

describe('report-status --compare-state on the process ledger (state/auto_process.json)', () => {
  /** Process states in the runs DB: 1–4, 10, 11 done; 6 pending; 12 abandoned (not auto-process's work). The truth's mark is 4. */
  async function processWorld(): Promise<ReportWorld> {
    const world = await preparedWorld();
    const store = await world.store();
    try {
      for (const run of [1, 2, 3, 4, 10, 11]) await store.updateStage(run, 'process', { set: { state: 'done' } });
      await store.updateStage(12, 'process', { set: { state: 'abandoned' } });
    } finally {
      await store.close();
    }
    return world;
  }

  const writeProcessLedger = (world: ReportWorld, mark: number | null, doneAbove: number[], failed: Record<string, unknown> = {}) => {
    fs.mkdirSync(path.dirname(world.ledgerFile('auto_process')), { recursive: true });
    fs.writeFileSync(world.ledgerFile('auto_process'), JSON.stringify({ format: 'daqflow-ledger/1', stage: 'auto_process', last_contiguous_run: mark, done_above: doneAbove, failed, updated_at: '2026-11-21T06:00:00.000Z' }));
  };

  const processDrift = async (world: ReportWorld) => {
    const report = await buildReport({ config: world.config(), compareState: true });
    expect(report.stages.process.sources_contiguous_run).toBe(4);
    return Object.fromEntries(report.stages.process.drift!.map((d) => [d.kind, d]));
  };

  it('finds a process mark behind, ahead, and a failure that has since succeeded; an abandoned run does not hold the mark back', async () => {
    const world = await processWorld();
    writeProcessLedger(world, 4, [10, 11]);
    expect(await processDrift(world)).toEqual({});

    writeProcessLedger(world, 2, []);
    const behind = await processDrift(world);
    expect(Object.keys(behind).sort()).toEqual(['done_not_recorded', 'mark_behind']);
    expect(behind.mark_behind!.detail).toBe('last_contiguous_run is 000002; the sources say 000004');
    expect(behind.done_not_recorded!.runs.first).toEqual([[3, 4], [10, 11]]);

    // A mark past run 6, which is still pending in the runs DB (auto-process's per-pass mark can jump a run it did not see).
    writeProcessLedger(world, 11, []);
    const ahead = await processDrift(world);
    expect(Object.keys(ahead).sort()).toEqual(['done_but_missing', 'mark_ahead']);
    expect(ahead.mark_ahead!.detail).toBe('last_contiguous_run is 000011; the sources say 000004');
    expect(ahead.done_but_missing!.runs.first).toEqual([[6, 6]]);

    writeProcessLedger(world, 4, [11], { 10: { n_failures: 1, reason: 'job 77 failed', last_attempt: '2026-11-21T06:00:00.000Z', next_retry: null } });
    const failed = await processDrift(world);
    expect(Object.keys(failed).sort()).toEqual(['done_not_recorded', 'failed_but_done']);
    expect(failed.failed_but_done!.runs.first).toEqual([[10, 10]]);

    // The CLI says it, and --fail-on-drift turns it into exit 1.
    const result = await world.cli(['report-status', '--compare-state', '--fail-on-drift']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/process: the ledger disagrees with the sources \(failed_but_done, done_not_recorded\)/);
  });

  it('leaves out of the process truth the runs rundb.user_filter drops', async () => {
    const world = await processWorld();
    writeProcessLedger(world, 11, []);
    const store = await world.store();
    try {
      await store.addTag(6, { name: 'junk' });
    } finally {
      await store.close();
    }
    // Run 6 (still pending) is filtered out: auto-process never takes it, so the mark may pass it.
    const config = world.config();
    const filtered = await buildReport({ config: { ...config, rundb: { ...config.rundb, user_filter: { 'tags.name': { $ne: 'junk' } } } }, compareState: true });
    expect(filtered.stages.process.drift).toEqual([]);
    expect(filtered.stages.process.sources_contiguous_run).toBe(11);
    const unfiltered = await buildReport({ config, compareState: true });
    expect(unfiltered.stages.process.drift!.map((d) => d.kind).sort()).toEqual(['done_but_missing', 'mark_ahead']);
  });
});

describe('report-status without a runs DB file', () => {
  it('reports 0 runs and what to run, and creates nothing', async () => {
    const world = reportWorld();
    for (const run of [1, 2]) world.writeRun(run);
    const file = path.join(world.dir, 'work', 'runs.sqlite');
    const result = await world.cli(['report-status', '--compare-state', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJson(result.stdout);
    expect(report.sources.rundb).toMatchObject({ count: 0, error: null, available: true, locations: [file] });
    expect(report.sources.rundb.note).toBe(`${file} does not exist yet (no pass has created it)`);
    expect(report.recommendations[0]).toMatchObject({ n: 1, command: 'daqflow import' });
    expect(report.recommendations[0]!.text).toMatch(/^the runs DB has 0 runs: .*runs\.sqlite does not exist yet/);
    const text = await world.cli(['report-status']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`runs DB: no runs (${file} does not exist yet (no pass has created it))`);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readdirSync(path.join(world.dir, 'work')).filter((f) => f.startsWith('runs.sqlite'))).toEqual([]);
  });

  it('cannot query a runs DB file the configuration names that does not exist: exit 4, the rest reported, nothing created', async () => {
    const world = reportWorld();
    world.writeRun(1);
    const file = path.join(world.dir, 'elsewhere', 'runs.sqlite');
    const result = await world.cli(['report-status', '--json', '--set', `rundb.sqlite_path=${file}`]);
    expect(result.code).toBe(4);
    const report = parseJson(result.stdout);
    expect(report.sources.rundb.error).toBe(`rundb.sqlite_path names ${file}, which does not exist; check the path (\`daqflow db init\` creates an empty runs DB there)`);
    expect(report.sources.live.count).toBe(1);
    expect(result.stderr).toMatch(/the rundb source could not be queried: rundb\.sqlite_path names .*elsewhere/);
    expect(fs.existsSync(path.dirname(file))).toBe(false);
  });
});
