// Test helpers for the scheduler contract suite: a real single-node Slurm, job specs and argv-recording payloads.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { afterAll, beforeAll } from 'vitest';
import { runCommand } from '../../src/util/run.js';
import type { JobSpec } from '../../src/batch/index.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const NO_SLURM = process.env.DAQFLOW_NO_SLURM === '1';
export const SLURM_DIR = process.env.DAQFLOW_SLURM_DIR ?? '/var/lib/daqflow-slurm';

/** Start (or verify) the test cluster; throws with the script's output when Slurm cannot start. */
export async function slurmUp(env: Record<string, string> = {}): Promise<string> {
  const result = await runCommand('bash', [path.join(ROOT, 'scripts/slurm-up.sh')], { env, reject: false, timeoutMs: 300_000 });
  if (result.exitCode !== 0) throw new Error(`scripts/slurm-up.sh failed (exit ${result.exitCode}): ${result.stderr}`);
  return result.stderr;
}

/**
 * Exclusive use of the test cluster across vitest workers: some tests restart or kill slurmctld, which would fail
 * the jobs of a Slurm test running in the other worker. Files that use Slurm hold this from beforeAll to afterAll.
 */
export async function lockCluster(): Promise<() => Promise<void>> {
  const target = path.join(os.tmpdir(), 'daqflow-test-slurm-cluster');
  return lockfile.lock(target, {
    realpath: false,
    stale: 60_000,
    update: 10_000,
    retries: { retries: 900, minTimeout: 1000, maxTimeout: 1000, factor: 1 },
  });
}

/**
 * Hold the test cluster for the whole describe block (registers beforeAll/afterAll): Slurm is started if needed and,
 * with `restartAfter`, started again at the end for a block that kills its controller.
 */
export function holdCluster(options: { restartAfter?: boolean } = {}): void {
  let release: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    release = await lockCluster();
    await ensureSlurm();
  }, 900_000);
  afterAll(async () => {
    if (options.restartAfter) await ensureSlurm();
    await release?.();
  }, 300_000);
}

/** Start Slurm only when `sinfo` does not answer (the script is idempotent, but this saves a probe job). */
export async function ensureSlurm(): Promise<void> {
  const sinfo = await runCommand('sinfo', ['-h', '-o', '%T'], { reject: false, timeoutMs: 15_000 }).catch(() => undefined);
  const ctld = fs.existsSync(path.join(SLURM_DIR, 'run/slurmctld.pid'));
  if (sinfo?.exitCode === 0 && /idle|mixed|allocated/.test(sinfo.stdout) && ctld) return;
  await slurmUp({ SLURM_MIN_JOB_AGE: '300' });
}

export function spec(jobDir: string, name: string, command: string[], extra: Partial<JobSpec> = {}): JobSpec {
  return { name, command, cpus: 1, memGb: 0.1, walltimeMin: 10, extraDirectives: [], skipDirectives: [], jobDir, ...extra };
}

/** A payload that writes its own argv (after the output file) as JSON. */
export function recordArgv(outFile: string, args: string[]): string[] {
  return [process.execPath, '-e', 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))', outFile, ...args];
}

export const sh = (code: string): string[] => ['sh', '-c', code];

export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, stepMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
