// What a stage's ledger should say, rebuilt from the sources of truth (recover-state, and what --compare-state compares with).
import { Ledger, type LedgerFailure } from '../pass/ledger.js';
import type { StageState } from '../rundb/index.js';
import type { StageTruth } from './truth.js';

const iso = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : null);

/** The ledger entry of a run the runs DB records as failed: its count, reason and retry time as the pass wrote them. */
function fromDbState(state: StageState, now: Date): LedgerFailure {
  const reason = String(state.reason ?? 'failed');
  return {
    n_failures: typeof state.n_failures === 'number' && state.n_failures > 0 ? state.n_failures : 1,
    reason: reason.length > 500 ? `${reason.slice(0, 497)}...` : reason,
    last_attempt: iso(state.updated_at) ?? now.toISOString(),
    next_retry: iso(state.next_retry),
  };
}

/**
 * Contiguity per the contract over the stage's source; failed = the runs the runs DB records as failed, plus runs
 * present in the source but missing from the destination below the highest done run (due for a retry at once).
 */
export function rebuildLedger(stateDir: string, truth: StageTruth, now: Date): Ledger {
  let highestDone = -Infinity;
  for (const run of truth.done) if (run > highestDone) highestDone = run;
  const failed: Record<string, LedgerFailure> = {};
  for (const [run, state] of truth.dbStates) if (state.state === 'failed' && !truth.done.has(run)) failed[String(run)] = fromDbState(state, now);
  for (const run of truth.sourceRuns) {
    if (run >= highestDone) break;
    if (truth.done.has(run) || failed[String(run)] || isHandedOff(truth.dbStates.get(run))) continue;
    failed[String(run)] = {
      n_failures: 1,
      reason: `recover-state: in the ${truth.source} but not in the ${truth.destination}`,
      last_attempt: now.toISOString(),
      next_retry: now.toISOString(),
    };
  }
  return Ledger.rebuilt(stateDir, truth.ledgerStage, truth.done, truth.sourceRuns, failed, now);
}

/** A run handed off (a job in flight): pending, not failed. */
function isHandedOff(state: StageState | undefined): boolean {
  return state !== undefined && ['claimed', 'submitted', 'running'].includes(state.state);
}
