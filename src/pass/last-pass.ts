// The last finished pass of a stage (work_dir/state/<stage>.last-pass.json): when it ran, how long, how it ended.
// Written by the pass harness after every pass that records outcomes; read by `serve` (/metrics) and report-status.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DaqflowError, EXIT } from '../errors.js';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import { exitCodeForSummary } from './exit-code.js';
import type { PassSummary } from './summary.js';

export const LAST_PASS_FORMAT = 'daqflow-last-pass/1';
const SUFFIX = '.last-pass.json';

const lastPassSchema = z.strictObject({
  format: z.literal(LAST_PASS_FORMAT),
  stage: z.string(),
  mode: z.string(),
  host: z.string(),
  started_at: z.string(),
  ended_at: z.string(),
  duration_s: z.number().nonnegative(),
  /** The exit code the pass earned (0, 1 runs failed, 130/143 interrupted, or the error's code when it stopped). */
  exit_code: z.number().int(),
  outcome: z.enum(['ok', 'runs_failed', 'interrupted', 'stopped']),
  counts: z.strictObject({
    candidates: z.number().int(),
    done: z.number().int(),
    failed: z.number().int(),
    skipped: z.number().int(),
    pending: z.number().int(),
    aborted: z.number().int(),
  }),
});

export type LastPass = z.infer<typeof lastPassSchema>;

export function lastPassPath(stateDir: string, stage: string): string {
  return path.join(stateDir, `${stage}${SUFFIX}`);
}

/** The record of a closed summary; `error` is what stopped the pass, if anything did. */
export function lastPassOf(summary: PassSummary, error?: unknown): LastPass {
  const exit_code = error === undefined ? exitCodeForSummary(summary) : error instanceof DaqflowError ? error.exitCode : EXIT.internal;
  const outcome = error !== undefined ? 'stopped' : summary.interrupted ? 'interrupted' : summary.failed.length ? 'runs_failed' : 'ok';
  return {
    format: LAST_PASS_FORMAT,
    stage: summary.stage,
    mode: summary.mode,
    host: summary.host,
    started_at: summary.started_at,
    ended_at: summary.ended_at,
    duration_s: summary.duration_s,
    exit_code,
    outcome,
    counts: {
      candidates: summary.candidates,
      done: summary.done.length,
      failed: summary.failed.length,
      skipped: summary.skipped.length,
      pending: summary.pending.length,
      aborted: summary.aborted.length,
    },
  };
}

/** Atomic write (temp + fsync + rename + folder fsync), like the ledger; no .bak: only the latest pass matters. */
export function saveLastPass(stateDir: string, record: LastPass): void {
  fs.mkdirSync(stateDir, { recursive: true });
  writeFileAtomicSync(lastPassPath(stateDir, record.stage), JSON.stringify(record, null, 2) + '\n');
}

/** One stage's last pass, or null when there is none or it cannot be read. */
export function readLastPass(stateDir: string, stage: string): LastPass | null {
  try {
    const parsed = lastPassSchema.safeParse(JSON.parse(fs.readFileSync(lastPassPath(stateDir, stage), 'utf8')));
    return parsed.success && parsed.data.stage === stage ? parsed.data : null;
  } catch {
    return null; // missing, removed meanwhile or not JSON: a state file for observability only
  }
}

/** Every stage's last pass found in the state folder, by stage name; unreadable or foreign files are left out. */
export function readLastPasses(stateDir: string): LastPass[] {
  let names: string[];
  try {
    names = fs.readdirSync(stateDir);
  } catch {
    return [];
  }
  const stages = names.filter((n) => n.endsWith(SUFFIX) && !n.startsWith('.')).sort().map((n) => n.slice(0, -SUFFIX.length));
  return stages.map((stage) => readLastPass(stateDir, stage)).filter((p): p is LastPass => p !== null);
}
