// recover-state: after deleted, corrupt and too-far-ahead ledgers, the rebuilt ledgers equal those a clean history of passes wrote.
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { comparable, reportWorld, type LedgerJson, type ReportWorld } from './helpers.js';

/** Runs 1–4, 6, 10–12 (5 and 7–9 never existed); run 3's record is broken, so its import fails and it is never migrated. */
async function cleanHistory(): Promise<{ world: ReportWorld; clean: Record<'import' | 'migrate', LedgerJson> }> {
  const world = reportWorld();
  for (const run of [1, 2, 4, 6]) world.writeRun(run);
  world.writeBrokenRun(3);
  expect((await world.cli(['import', '--incremental'])).code).toBe(1);
  expect((await world.cli(['migrate', '--incremental'])).code).toBe(0);
  for (const run of [10, 11, 12]) world.writeRun(run);
  expect((await world.cli(['import', '--incremental'])).code).toBe(0);
  expect((await world.cli(['migrate', '--incremental'])).code).toBe(0);
  const clean = { import: world.ledger('import'), migrate: world.ledger('migrate') };
  // The history this test relies on: a failure below done runs, done runs above the mark.
  expect(clean.import).toMatchObject({ last_contiguous_run: 2, done_above: [4, 6, 10, 11, 12] });
  expect(Object.keys(clean.import.failed)).toEqual(['3']);
  expect(clean.migrate).toMatchObject({ last_contiguous_run: 12, done_above: [], failed: {} });
  return { world, clean };
}

function expectRecovered(world: ReportWorld, clean: LedgerJson, stage: 'import' | 'migrate'): void {
  const rebuilt = world.ledger(stage);
  expect(comparable(rebuilt)).toEqual(comparable(clean));
  // The failure keeps when it happened (from the runs DB), to the write's precision.
  for (const [run, f] of Object.entries(clean.failed)) expect(Math.abs(Date.parse(rebuilt.failed[run]!.last_attempt) - Date.parse(f.last_attempt))).toBeLessThan(5000);
}

describe('recover-state', () => {
  let world: ReportWorld;
  let clean: Record<'import' | 'migrate', LedgerJson>;
  beforeAll(async () => {
    ({ world, clean } = await cleanHistory());
  });

  it('rebuilds deleted ledgers to what the clean history wrote', async () => {
    fs.rmSync(world.ledgerFile('import'));
    fs.rmSync(world.ledgerFile('migrate'));
    const result = await world.cli(['recover-state', 'import', 'migrate']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('import: ' + world.ledgerFile('import') + ' rewritten\n  before: no ledger');
    expectRecovered(world, clean.import, 'import');
    expectRecovered(world, clean.migrate, 'migrate');
    // Nothing left to repair: a second run changes nothing.
    const again = await world.cli(['recover-state', 'import', 'migrate']);
    expect(again.stdout).toBe(`import: ${world.ledgerFile('import')} already matches the sources\nmigrate: ${world.ledgerFile('migrate')} already matches the sources\n`);
  });

  it('rebuilds a corrupt ledger (which stops every pass with exit 3) and keeps the corrupt one as .bak', async () => {
    fs.writeFileSync(world.ledgerFile('import'), '{"format": "daqflow-ledger/1", "stage": "imp');
    expect((await world.cli(['import', '--incremental'])).code).toBe(3);
    const result = await world.cli(['--recover-import-state']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/before: corrupt \(.*import\.json: ledger is corrupt/);
    expectRecovered(world, clean.import, 'import');
    expect(fs.readFileSync(`${world.ledgerFile('import')}.bak`, 'utf8')).toBe('{"format": "daqflow-ledger/1", "stage": "imp');
  });

  it('rebuilds ledgers that are ahead of the truth; --dry-run shows the difference and writes nothing', async () => {
    const imp = clean.import;
    const aheadImport = { ...imp, last_contiguous_run: 12, done_above: [50], failed: {} };
    const aheadMigrate = { ...clean.migrate, done_above: [13, 14], failed: { 6: { n_failures: 3, reason: 'stale', last_attempt: imp.updated_at, next_retry: null } } };
    fs.writeFileSync(world.ledgerFile('import'), JSON.stringify(aheadImport));
    fs.writeFileSync(world.ledgerFile('migrate'), JSON.stringify(aheadMigrate));

    const dry = await world.cli(['recover-state', 'all', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as { dry_run: boolean; changes: Array<{ stage: string; changed: boolean; written: boolean; no_longer_done: { first: number[][] }; failed_added: number[]; failed_removed: number[] }> };
    expect(plan.dry_run).toBe(true);
    expect(plan.changes.map((c) => c.stage)).toEqual(['import', 'migrate', 'process']);
    const [i, m] = plan.changes;
    expect(i).toMatchObject({ changed: true, written: false, no_longer_done: { first: [[3, 3], [50, 50]] }, failed_added: [3] });
    expect(m).toMatchObject({ changed: true, written: false, no_longer_done: { first: [[13, 14]] }, failed_removed: [6] });
    expect(JSON.parse(fs.readFileSync(world.ledgerFile('import'), 'utf8'))).toEqual(aheadImport);

    const result = await world.cli(['recover-state', 'import', 'migrate']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('  no longer done:  000003, 000050');
    expectRecovered(world, clean.import, 'import');
    expectRecovered(world, clean.migrate, 'migrate');
    expect((await world.cli(['report-status', '--compare-state', '--fail-on-drift'])).code).toBe(0);
  });

  it('refuses, exit 4 and the ledger untouched, when a source it rebuilds from cannot be queried', async () => {
    const w = reportWorld({ archive: { kind: 'filesystem', path: '/nonexistent/daqflow-archive' } });
    w.writeRun(1);
    expect((await w.cli(['import'])).code).toBe(0);
    fs.writeFileSync(w.ledgerFile('migrate'), JSON.stringify({ ...w.ledger('import'), stage: 'migrate' }));
    const before = fs.readFileSync(w.ledgerFile('migrate'), 'utf8');
    const result = await w.cli(['recover-state', 'migrate']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/recover-state migrate: the archive source could not be queried: archive folder \/nonexistent\/daqflow-archive is not usable.*no ledger was changed/);
    expect(fs.readFileSync(w.ledgerFile('migrate'), 'utf8')).toBe(before);
  });
});

describe('recover-state process', () => {
  it('rebuilds auto-process\'s ledger from the runs DB: done runs, failures with their count, reason and retry, jobs in flight left pending', async () => {
    const w = reportWorld();
    for (const run of [1, 2, 3, 4, 5]) w.writeRun(run);
    expect((await w.cli(['import'])).code).toBe(0);
    const store = await w.store();
    const retry = new Date('2030-01-01T00:00:00.000Z');
    try {
      for (const run of [1, 2, 4]) await store.updateStage(run, 'process', { set: { state: 'done' } });
      await store.updateStage(3, 'process', { set: { state: 'failed', reason: 'timeout: job 77', n_failures: 2, next_retry: retry } });
      await store.updateStage(5, 'process', { set: { state: 'submitted', job_id: '78', scheduler: 'slurm' } });
    } finally {
      await store.close();
    }
    const result = await w.cli(['recover-state', 'process']);
    expect(result.code, result.stderr).toBe(0);
    const l = w.ledger('auto_process');
    expect(l).toMatchObject({ stage: 'auto_process', last_contiguous_run: 2, done_above: [4] });
    expect(l.failed).toEqual({ 3: { n_failures: 2, reason: 'timeout: job 77', last_attempt: expect.any(String), next_retry: retry.toISOString() } });
  });
});
