// The stage ledger (work_dir/state/<stage>.json): contiguous-run marker, done runs above it, failed runs with retry times.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import { advanceContiguous } from './contiguity.js';
import type { RetryDecision } from './retry.js';

export const LEDGER_FORMAT = 'daqflow-ledger/1';

const failureSchema = z.strictObject({
  n_failures: z.number().int().positive(),
  reason: z.string(),
  last_attempt: z.string(),
  next_retry: z.string().nullable(),
});

const ledgerSchema = z.strictObject({
  format: z.literal(LEDGER_FORMAT),
  stage: z.string(),
  last_contiguous_run: z.number().int().nullable(),
  done_above: z.array(z.number().int()),
  failed: z.record(z.string().regex(/^\d+$/), failureSchema),
  updated_at: z.string().nullable(),
});

export type LedgerFailure = z.infer<typeof failureSchema>;
export type LedgerData = z.infer<typeof ledgerSchema>;

export function ledgerPath(stateDir: string, stage: string): string {
  return path.join(stateDir, `${stage}.json`);
}

function corrupt(file: string, stage: string, detail: string): ConfigError {
  return new ConfigError(
    `${file}: ledger is corrupt (${detail}); it was left untouched — restore ${path.basename(file)}.bak, or move the file aside (the next ${stage} pass then reconsiders every run of its source)`,
    { context: { file, stage } },
  );
}

export class Ledger {
  private constructor(
    readonly file: string,
    private data: LedgerData,
  ) {}

  /** Load a stage's ledger; a missing file is an empty ledger, a corrupt one an error (never silently reset). */
  static load(stateDir: string, stage: string): Ledger {
    const file = ledgerPath(stateDir, stage);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Ledger.empty(stateDir, stage);
      throw error;
    }
    return Ledger.parse(text, file, stage);
  }

  /** A ledger from its file text; anything that is not a valid ledger of this stage is a corrupt-ledger error naming the file. */
  static parse(text: string, file: string, stage: string): Ledger {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw corrupt(file, stage, `not JSON: ${(error as Error).message}`);
    }
    const parsed = ledgerSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw corrupt(file, stage, `${issue.path.join('.') || '<root>'}: ${issue.message}`);
    }
    if (parsed.data.stage !== stage) throw corrupt(file, stage, `it belongs to stage "${parsed.data.stage}"`);
    return new Ledger(file, parsed.data);
  }

  static empty(stateDir: string, stage: string): Ledger {
    return new Ledger(ledgerPath(stateDir, stage), {
      format: LEDGER_FORMAT,
      stage,
      last_contiguous_run: null,
      done_above: [],
      failed: {},
      updated_at: null,
    });
  }

  /** A ledger rebuilt from the sources of truth (recover-state); failed runs that are done are left out. */
  static rebuilt(
    stateDir: string,
    stage: string,
    doneRuns: Iterable<number>,
    sortedSourceRuns: readonly number[],
    failed: Readonly<Record<string, LedgerFailure>> = {},
    updatedAt: Date | null = null,
  ): Ledger {
    const ledger = Ledger.empty(stateDir, stage);
    const done = doneRuns instanceof Set ? (doneRuns as ReadonlySet<number>) : new Set(doneRuns);
    const next = advanceContiguous(null, done, sortedSourceRuns);
    ledger.data.last_contiguous_run = next.lastContiguous;
    ledger.data.done_above = next.doneAbove;
    const mark = ledger.data.last_contiguous_run;
    const above = new Set(ledger.data.done_above);
    for (const [run, failure] of Object.entries(failed)) {
      const n = Number(run);
      if (!((mark !== null && n <= mark) || above.has(n))) ledger.data.failed[run] = { ...failure };
    }
    ledger.data.updated_at = updatedAt ? updatedAt.toISOString() : null;
    return ledger;
  }

  get stage(): string {
    return this.data.stage;
  }
  get lastContiguousRun(): number | null {
    return this.data.last_contiguous_run;
  }
  get doneAbove(): readonly number[] {
    return this.data.done_above;
  }
  get failed(): Readonly<Record<string, LedgerFailure>> {
    return this.data.failed;
  }

  isDone(run: number): boolean {
    const marker = this.data.last_contiguous_run;
    return (marker !== null && run <= marker) || this.data.done_above.includes(run);
  }

  failure(run: number): LedgerFailure | undefined {
    return this.data.failed[String(run)];
  }

  /** Mark a run done and move the contiguous marker as far as the existing source runs allow. */
  markDone(run: number, sortedSourceRuns: readonly number[], now: Date): void {
    delete this.data.failed[String(run)];
    if (!this.isDone(run)) this.data.done_above.push(run);
    this.advance(sortedSourceRuns);
    this.data.updated_at = now.toISOString();
  }

  /**
   * The done marks as the source of truth has them (auto-process: the runs DB's process states), failures of done runs
   * dropped. Failures of runs not done are kept: they carry the retry times.
   */
  takeDoneFrom(doneRuns: Iterable<number>, sortedSourceRuns: readonly number[]): void {
    const done = new Set(doneRuns);
    const next = advanceContiguous(null, done, sortedSourceRuns);
    this.data.last_contiguous_run = next.lastContiguous;
    this.data.done_above = next.doneAbove;
    for (const run of Object.keys(this.data.failed)) if (done.has(Number(run))) delete this.data.failed[run];
  }

  /** A run handed off (e.g. a job submitted): not done, not failed; the contiguous marker stays below it. */
  markPending(run: number, now: Date): void {
    delete this.data.failed[String(run)];
    this.data.done_above = this.data.done_above.filter((r) => r !== run);
    this.data.updated_at = now.toISOString();
  }

  markFailed(run: number, reason: string, decision: RetryDecision, now: Date): void {
    this.data.failed[String(run)] = {
      n_failures: decision.nFailures,
      reason: reason.length > 500 ? `${reason.slice(0, 497)}...` : reason,
      last_attempt: now.toISOString(),
      next_retry: decision.nextRetry ? decision.nextRetry.toISOString() : null,
    };
    this.data.updated_at = now.toISOString();
  }

  advance(sortedSourceRuns: readonly number[]): void {
    const next = advanceContiguous(this.data.last_contiguous_run, new Set(this.data.done_above), sortedSourceRuns);
    this.data.last_contiguous_run = next.lastContiguous;
    this.data.done_above = next.doneAbove;
  }

  /** Remove temp files left by writers of the ledger or the last-pass record killed mid-write. Call only while holding the stage lock. */
  static removeStaleTemps(stateDir: string, stage: string): void {
    const prefixes = [`.${stage}.json.`, `.${stage}.last-pass.json.`];
    let names: string[];
    try {
      names = fs.readdirSync(stateDir);
    } catch {
      return;
    }
    for (const name of names) if (prefixes.some((p) => name.startsWith(p)) && name.endsWith('.tmp')) fs.rmSync(path.join(stateDir, name), { force: true });
  }

  /** Atomic write (temp + fsync + rename + folder fsync), keeping the previous version as .bak. */
  save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomicSync(this.file, this.serialize(), { backup: true });
  }

  /** The file text: the contract's key order, failures sorted by run. */
  serialize(): string {
    const ordered: LedgerData = {
      format: LEDGER_FORMAT,
      stage: this.data.stage,
      last_contiguous_run: this.data.last_contiguous_run,
      done_above: this.data.done_above,
      failed: Object.fromEntries(Object.entries(this.data.failed).sort(([a], [b]) => Number(a) - Number(b))),
      updated_at: this.data.updated_at,
    };
    return JSON.stringify(ordered, null, 2) + '\n';
  }

  toJSON(): LedgerData {
    return structuredClone(this.data);
  }
}
