// Recording one run's outcome: the run's `<state_field>.<stage>` in the runs DB, then the ledger — the one code path every stage uses.
import fs from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import type { Logger } from '../log/index.js';
import type { ProcessState, RunStore, StageFields } from '../rundb/index.js';
import { Ledger } from './ledger.js';
import type { RetryDecision } from './retry.js';

/** Who may take part in a pass at once: one pass per stage, one per run, or any number (read-only commands). */
export type LockScope = 'stage' | 'run' | 'none';

/** The states a pending (handed-off) run may be left in. */
export type HandedOffState = Extract<ProcessState, 'claimed' | 'submitted' | 'running'>;

export type Recorded =
  | { status: 'done'; fields?: StageFields }
  | { status: 'failed'; reason: string; decision: RetryDecision }
  | { status: 'pending'; reason: string; state: HandedOffState };

/**
 * The ledger as a pass writes it. With the stage lock the pass owns the file and keeps it in memory;
 * with per-run locks several passes share it, so each change is a locked read-modify-write.
 */
export class LedgerAccess {
  private constructor(
    private readonly scope: LockScope,
    private readonly stateDir: string,
    private current: Ledger,
  ) {}

  static open(scope: LockScope, stateDir: string, stage: string): LedgerAccess {
    if (scope === 'stage') Ledger.removeStaleTemps(stateDir, stage);
    return new LedgerAccess(scope, stateDir, Ledger.load(stateDir, stage));
  }

  get ledger(): Ledger {
    return this.current;
  }

  async update(change: (ledger: Ledger) => void): Promise<void> {
    if (this.scope === 'none') return;
    if (this.scope === 'stage') {
      change(this.current);
      this.current.save();
      return;
    }
    fs.mkdirSync(this.stateDir, { recursive: true });
    const release = await lockfile.lock(this.current.file, {
      realpath: false,
      lockfilePath: path.join(this.stateDir, `.${this.current.stage}.json.lock`),
      stale: 10_000,
      // Longer than `stale`: a holder killed while writing does not make the others give up before its lock expires.
      retries: { retries: 400, minTimeout: 5, maxTimeout: 50 },
    });
    try {
      const fresh = Ledger.load(this.stateDir, this.current.stage);
      change(fresh);
      fresh.save();
      this.current = fresh;
    } finally {
      await release();
    }
  }
}

export interface RecordDeps {
  stage: string;
  host: string;
  store: RunStore | null;
  ledger: LedgerAccess;
  /** Sorted numbers of the runs in the stage's source (moves the contiguous marker). */
  sourceRuns: readonly number[];
  now: () => Date;
  log: Logger;
}

function stageFields(recorded: Recorded, host: string): StageFields {
  switch (recorded.status) {
    case 'done':
      return { ...recorded.fields, state: 'done', host, reason: null, next_retry: null };
    case 'failed':
      return { state: 'failed', host, reason: recorded.reason, n_failures: recorded.decision.nFailures, next_retry: recorded.decision.nextRetry };
    case 'pending':
      return { state: recorded.state, host, reason: recorded.reason, next_retry: null };
  }
}

/**
 * Record an outcome the moment it happens. The runs DB is written first, so the ledger is never ahead of
 * it: a kill between the two writes leaves the run undone in the ledger, and the next pass redoes it.
 * A run without a document (a stage whose runs are not in the DB) is recorded in the ledger only.
 */
export async function recordOutcome(deps: RecordDeps, run: number, recorded: Recorded): Promise<void> {
  if (deps.store) {
    const doc = await deps.store.updateStage(run, deps.stage, { set: stageFields(recorded, deps.host) });
    if (!doc) deps.log.debug(`no run document for ${run}: its ${deps.stage} state is kept in the ledger only`);
  }
  const now = deps.now();
  await deps.ledger.update((ledger) => {
    if (recorded.status === 'done') ledger.markDone(run, deps.sourceRuns, now);
    else if (recorded.status === 'failed') ledger.markFailed(run, recorded.reason, recorded.decision, now);
    else ledger.markPending(run, now);
  });
}
