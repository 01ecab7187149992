// Shared setup of the auto-process tests: a work dir with the local scheduler, fast retries, and runs in the runs DB.
import fs from 'node:fs';
import path from 'node:path';
import { configFromObject } from '../../src/config/index.js';
import { LockBusyError } from '../../src/errors.js';
import { memoryLogger } from '../../src/log/index.js';
import { openRunStore, stageOf, type RunStore, type RunUpsert, type StageState } from '../../src/rundb/index.js';
import { runAutoProcess, type AutoProcessOptions, type AutoProcessSummary } from '../../src/stages/auto-process.js';
import { makeTmpDir } from '../support/tmp.js';

export interface AutoSetup {
  dir: string;
  config: ReturnType<typeof configFromObject>['config'];
  store: RunStore;
  pass(over?: Partial<AutoProcessOptions>): Promise<AutoProcessSummary>;
  state(run: number): Promise<StageState | undefined>;
}

/** Retry delays of 0.1–0.2 s × 2^n: backoff in (sub)seconds. */
export const FAST_RETRY = { base_delay_s: 0.1, jitter_min: 1, jitter_max: 2, factor: 2, max_exponent: 3, max_failures: 10 };

export async function autoSetup(extra: Record<string, unknown> = {}, daqflowCommand: string[] = ['true'], dir = makeTmpDir()): Promise<AutoSetup> {
  const { auto_process: ap, scheduler, ...rest } = extra as { auto_process?: object; scheduler?: object };
  const object = {
    work_dir: 'work', retry: FAST_RETRY,
    scheduler: { kind: 'local', daqflow_command: daqflowCommand, poll_interval_s: 1, ...scheduler },
    auto_process: { min_free_disk_fraction: 0, ...ap },
    ...rest,
  };
  // Jobs load the same settings (retry times, paths) from this file.
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, JSON.stringify(object));
  const { config } = configFromObject(object, { baseDir: dir, cwd: dir });
  const store = await openRunStore(config);
  return {
    dir, config, store,
    pass: (over = {}) => runAutoProcess({ config, configFile, logger: memoryLogger(), store, handleSignals: false, ...over }),
    state: async (run) => {
      const doc = await store.getRun(run);
      return doc ? stageOf(doc, store.stateField, 'process') : undefined;
    },
  };
}

/** Ended runs (start and end set) with these numbers. */
export function endedRuns(numbers: number[], over: Partial<RunUpsert> = {}): RunUpsert[] {
  return numbers.map((number) => ({ number, name: String(number).padStart(6, '0'), start: new Date(Date.UTC(2026, 0, 1)), end: new Date(Date.UTC(2026, 0, 1, 0, 1)), ...over }));
}

/**
 * Passes until `done` holds; each pass is real work (scheduler calls), and a hang guard stops a test that cannot finish.
 * With `lockBusy: 'skip'` a pass that finds the stage lock held (e.g. left by a killed pass, not yet stale) counts as a
 * pass that did nothing, as a cron pass exiting 75 would; by default it fails the test.
 */
export async function passUntil(
  s: AutoSetup,
  done: (passes: readonly AutoProcessSummary[]) => Promise<boolean>,
  over: Partial<AutoProcessOptions> = {},
  maxPasses = 600,
  options: { lockBusy?: 'throw' | 'skip' } = {},
): Promise<AutoProcessSummary[]> {
  const passes: AutoProcessSummary[] = [];
  for (let i = 0; i < maxPasses; i++) {
    try {
      passes.push(await s.pass(over));
    } catch (error) {
      if (!(error instanceof LockBusyError && options.lockBusy === 'skip')) throw error;
    }
    if (await done(passes)) return passes;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not reached after ${maxPasses} passes; last: ${JSON.stringify(passes.at(-1))}`);
}
