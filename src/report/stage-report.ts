// One stage's section of the report: its ledger, what the sources say, failures, pending work, runs-DB states, drift.
import fs from 'node:fs';
import path from 'node:path';
import { readLastPass } from '../pass/last-pass.js';
import { Ledger, ledgerPath } from '../pass/ledger.js';
import { PROCESS_STATES, type ProcessState, type StageState } from '../rundb/index.js';
import { errorMessage } from '../errors.js';
import { compareLedger } from './compare.js';
import { abbreviate, sortRuns, toRanges } from './ranges.js';
import { rebuildLedger } from './rebuild.js';
import type { ReportFailure, StageReport } from './schema.js';
import type { StageTruth } from './truth.js';

export interface LoadedLedger {
  ledger: Ledger | null;
  error: string | null;
  file: string;
}

/** The stage's ledger as it is on disk: null when there is none, the error when it is corrupt (never reset). */
export function loadLedger(stateDir: string, ledgerStage: string): LoadedLedger {
  const file = ledgerPath(stateDir, ledgerStage);
  if (!fs.existsSync(file)) return { ledger: null, error: null, file };
  try {
    return { ledger: Ledger.load(stateDir, ledgerStage), error: null, file };
  } catch (error) {
    return { ledger: null, error: errorMessage(error), file };
  }
}

export function histogram(states: Iterable<StageState | undefined>): Record<ProcessState, number> {
  const out = Object.fromEntries(PROCESS_STATES.map((s) => [s, 0])) as Record<ProcessState, number>;
  for (const s of states) out[s?.state && s.state in out ? s.state : 'pending'] += 1;
  return out;
}

const iso = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : null);

/** `maxFailures`: the stage's failure maximum; a run that reached it has no next retry (the pass gave up on it). */
export function stageReport(truth: StageTruth, loaded: LoadedLedger, runsInDb: readonly number[], compare: boolean, stateDir: string, now: Date, maxFailures: number): StageReport {
  const { ledger } = loaded;
  const known = truth.error === null;
  const rebuilt = known ? rebuildLedger(stateDir, truth, now) : null;
  const failures: ReportFailure[] = ledger
    ? Object.entries(ledger.failed).map(([run, f]) => ({ run: Number(run), ...f }))
    : [...truth.dbStates].filter(([, s]) => s.state === 'failed').map(([run, s]) => ({
        run, n_failures: typeof s.n_failures === 'number' ? s.n_failures : 1, reason: String(s.reason ?? ''), last_attempt: iso(s.updated_at), next_retry: iso(s.next_retry),
      }));
  for (const f of failures) if (f.n_failures >= maxFailures) f.next_retry = null;
  failures.sort((a, b) => a.run - b.run);
  const failedRuns = new Set(failures.map((f) => f.run));
  const pending = known ? truth.sourceRuns.filter((run) => !truth.done.has(run) && !failedRuns.has(run)) : [];
  const states = runsInDb.map((run) => truth.dbStates.get(run));
  const pass = readLastPass(stateDir, path.basename(loaded.file, '.json'));
  return {
    stage: truth.stage,
    configured: truth.configured,
    error: truth.error,
    source: truth.source,
    destination: truth.destination,
    ledger: {
      file: loaded.file,
      present: ledger !== null || loaded.error !== null,
      error: loaded.error,
      last_contiguous_run: ledger?.lastContiguousRun ?? null,
      done_above: abbreviate(toRanges(ledger?.doneAbove ?? [])),
      updated_at: ledger?.toJSON().updated_at ?? null,
    },
    last_pass: pass && { started_at: pass.started_at, ended_at: pass.ended_at, duration_s: pass.duration_s, exit_code: pass.exit_code, outcome: pass.outcome },
    source_runs: truth.sourceRuns.length,
    done_runs: truth.done.size,
    sources_contiguous_run: rebuilt?.lastContiguousRun ?? null,
    failed: abbreviate(failures),
    pending: abbreviate(toRanges(sortRuns(pending))),
    pending_count: pending.length,
    runs_db_states: histogram(states),
    drift: compare && known && truth.configured ? compareLedger(ledger, loaded.error, truth, rebuilt!.lastContiguousRun) : null,
  };
}
