// submit through the real local scheduler and the embedded runs DB. The job payload is set with
// scheduler.daqflow_command, so these tests do not depend on the engine (test/stages/submit-slurm.test.ts runs straxer).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/index.js';
import { memoryLogger } from '../../src/log/index.js';
import { openRunStore, stageOf } from '../../src/rundb/index.js';
import { runSubmit, type SubmitOptions } from '../../src/stages/submit.js';
import { DataDirectory } from '../../src/strax/index.js';
import { makeTmpDir } from '../support/tmp.js';
import { runCli } from '../cli/run-cli.js';

function setup(daqflowCommand: string[] = ['true'], extra: Record<string, unknown> = {}) {
  const dir = makeTmpDir();
  const { config } = configFromObject({ work_dir: 'work', scheduler: { kind: 'local', daqflow_command: daqflowCommand, poll_interval_s: 1 }, ...extra }, { baseDir: dir, cwd: dir });
  const logger = memoryLogger();
  const base = (over: Partial<SubmitOptions>): SubmitOptions => ({ config, configFile: null, logger, runs: [12100], targets: ['event_info'], ...over });
  return { dir, config, logger, base };
}

async function processState(config: ReturnType<typeof setup>['config'], run: number) {
  const store = await openRunStore(config);
  try {
    const doc = await store.getRun(run);
    return doc ? stageOf(doc, store.stateField, 'process') : undefined;
  } finally {
    await store.close();
  }
}

describe('submit (local scheduler)', () => {
  it('submits several runs as one array job, records them as submitted, and --wait records done', async () => {
    const { config, base } = setup(['true']);
    const summary = await runSubmit(base({ runs: [12100, 12101, 12102], wait: true, waitTimeoutMs: 60_000 }));
    expect(summary.job_ids).toHaveLength(1);
    expect(summary.submitted.map((s) => [s.run, s.array_task, s.state])).toEqual([
      [12100, 0, 'completed'],
      [12101, 1, 'completed'],
      [12102, 2, 'completed'],
    ]);
    // The pass summary every command returns: the jobs ended, so nothing is left pending.
    expect(summary.done.map((d) => d.run)).toEqual([12100, 12101, 12102]);
    expect(summary.pending).toEqual([]);
    for (const run of [12100, 12101, 12102]) {
      const state = await processState(config, run);
      expect(state?.state).toBe('done');
      expect(state?.job_id).toBe(`${summary.job_ids[0]}_${run - 12100}`);
      expect(state?.scheduler).toBe('local');
      expect(fs.existsSync(String(state?.stdout))).toBe(true);
    }
  }, 90_000);

  it('a straxer job for a run without live data records its own failure once, with the reason', async () => {
    const dir = makeTmpDir();
    const { config } = configFromObject({ work_dir: 'work', scheduler: { kind: 'local', poll_interval_s: 1 } }, { baseDir: dir, cwd: dir });
    const summary = await runSubmit({ config, configFile: null, logger: memoryLogger(), runs: [99], targets: ['peaks'], wait: true, waitTimeoutMs: 60_000 });
    expect(summary.submitted[0]!.state).toBe('failed');
    const state = await processState(config, 99);
    expect(state?.state).toBe('failed');
    expect(state?.reason).toMatch(/000099/);
    expect(state?.n_failures).toBe(1);
  }, 90_000);

  it('--no-array gives one job per run', async () => {
    const { base } = setup(['true']);
    const summary = await runSubmit(base({ runs: [1, 2], array: false }));
    expect(summary.job_ids).toHaveLength(2);
    expect(summary.submitted.every((s) => s.array_task === null)).toBe(true);
    // Without --wait the runs are handed off: pending, neither done nor failed.
    expect(summary.pending.map((p) => [p.run, p.reason])).toEqual(summary.submitted.map((s) => [s.run, `submitted as local job ${s.job_id}`]));
    expect(summary.done).toEqual([]);
  });

  it('a failing job is recorded as failed with its exit code, the log tail and a retry time', async () => {
    const { config, base } = setup(['sh', '-c', 'echo "processing blew up" >&2; exit 3', 'sh']);
    const summary = await runSubmit(base({ runs: [12200], wait: true, waitTimeoutMs: 60_000 }));
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]!.reason).toMatch(/failed \(exit 3\).*processing blew up/);
    const state = await processState(config, 12200);
    expect(state?.state).toBe('failed');
    expect(state?.n_failures).toBe(1);
    expect(state?.next_retry).toBeInstanceOf(Date);
  }, 90_000);

  it('refuses runs already submitted unless --force, and never touches abandoned runs', async () => {
    const { config, base } = setup(['sleep', '30']);
    const first = await runSubmit(base({ runs: [7] }));
    expect(first.submitted).toHaveLength(1);
    const again = await runSubmit(base({ runs: [7] }));
    expect(again.submitted).toEqual([]);
    expect(again.skipped[0]!.reason).toMatch(/already submitted as job \S+ \(use --force to resubmit\)/);
    const forced = await runSubmit(base({ runs: [7], force: true }));
    expect(forced.submitted).toHaveLength(1);
    const store = await openRunStore(config);
    await store.upsertRun({ number: 8 });
    await store.updateStage(8, 'process', { set: { state: 'abandoned' } });
    await store.close();
    const abandoned = await runSubmit(base({ runs: [8], force: true }));
    expect(abandoned.submitted).toEqual([]);
    expect(abandoned.skipped[0]!.reason).toMatch(/abandoned/);
  }, 60_000);

  it('--dry-run renders the script and the command but records and writes nothing', async () => {
    const { config, base } = setup(['true']);
    const summary = await runSubmit(base({ runs: [5, 6], dryRun: true }));
    expect(summary.script).toContain('#!/bin/bash');
    expect(summary.script).toContain('export MALLOC_MMAP_THRESHOLD_=131072');
    expect(summary.submit_command?.[1]).toMatch(/straxer-000005-000006-.*\.sh$/);
    expect(fs.existsSync(summary.submit_command![1]!)).toBe(false);
    expect(await processState(config, 5)).toBeUndefined();
  });

  it('output_exists_mode: raise fails the run, associate adopts it, overwrite and add resubmit with the right storage settings', async () => {
    const { config, base } = setup(['true']);
    // A complete strax dataset for run 012345, data type records, in the configured storage.
    const storage = config.storage.dirs![0]!;
    fs.mkdirSync(storage, { recursive: true });
    fs.cpSync(path.resolve('test/fixtures/strax/records_zstd/012345-records-z76fdyl6i3'), path.join(storage, '012345-records-z76fdyl6i3'), { recursive: true });
    expect(new DataDirectory(storage).find('012345', 'records').state).toBe('complete');

    const raised = await runSubmit(base({ runs: [12345], targets: ['records'] }));
    expect(raised.submitted).toEqual([]);
    expect(raised.failed[0]!.reason).toMatch(/output exists at .*012345-records-z76fdyl6i3/);

    const associated = await runSubmit(base({ runs: [12345], targets: ['records'], outputExists: 'associate' }));
    expect(associated.associated).toEqual([{ run: 12345, location: path.join(storage, '012345-records-z76fdyl6i3') }]);
    expect((await processState(config, 12345))?.state).toBe('done');

    const overwrite = await runSubmit(base({ runs: [12345], targets: ['records'], outputExists: 'overwrite', dryRun: true }));
    expect(overwrite.script).toContain('storage.overwrite=always');

    const add = await runSubmit(base({ runs: [12345], targets: ['records'], outputExists: 'add', dryRun: true }));
    expect(add.script).toContain(`storage.write_dir=${storage}.run2`);
  }, 60_000);
});

describe('submit CLI input checks', () => {
  it.each([
    [['012100;rm', '--target', 'event_info'], /runs: "012100;rm" is not a run id/],
    [['012100', '--target', 'event_info$(reboot)'], /target: "event_info\$\(reboot\)" is not a valid data type/],
    [['012100', '--target', 'peaks', '--time', '1h'], /time: "1h" is not a wall time/],
  ])('rejects %j with exit 3 before any job file is written', (args, message) => {
    const dir = makeTmpDir();
    const result = runCli(['submit', ...args, '--scheduler', 'local'], { cwd: dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(message);
    expect(fs.existsSync(path.join(dir, 'daqflow-work', 'jobs'))).toBe(false);
  });
});
