// --compare-state: a stage's ledger against the sources of truth — marks behind or ahead, stale failures, done runs that are not there.
import type { Ledger } from '../pass/index.js';
import { upperBound } from '../pass/contiguity.js';
import { formatRunId } from '../util/validate.js';
import { abbreviate, describeRuns, sortRuns, toRanges, type Abbreviated, type RunRange } from './ranges.js';
import type { StageTruth } from './truth.js';

export const DRIFT_KINDS = [
  'ledger_corrupt',
  'ledger_missing',
  'mark_behind',
  'mark_ahead',
  'failed_but_done',
  'done_but_missing',
  'done_not_in_source',
  'done_not_recorded',
] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export interface Drift {
  kind: DriftKind;
  runs: Abbreviated<RunRange>;
  detail: string;
}

const drift = (kind: DriftKind, runs: readonly number[], detail: string): Drift => ({ kind, runs: abbreviate(toRanges(sortRuns(runs))), detail });

/** The ledger's view of done runs that exist in the source (below the mark) plus its done_above. */
function ledgerDone(ledger: Ledger, sourceRuns: readonly number[]): Set<number> {
  const mark = ledger.lastContiguousRun;
  const below = mark === null ? [] : sourceRuns.slice(0, upperBound(sourceRuns, mark));
  return new Set([...below, ...ledger.doneAbove]);
}

/** Every way the ledger disagrees with `truth`; `rebuiltMark` is the mark a ledger rebuilt from the truth would have. */
export function compareLedger(ledger: Ledger | null, ledgerError: string | null, truth: StageTruth, rebuiltMark: number | null): Drift[] {
  const file = `state/${truth.ledgerStage}.json`;
  if (ledgerError) return [drift('ledger_corrupt', [], `${file}: ${ledgerError}`)];
  if (!ledger) {
    return truth.done.size && truth.ledgerRequired ? [drift('ledger_missing', [...truth.done], `${file} is missing while the ${truth.destination} has ${describeRuns(sortRuns(truth.done))}`)] : [];
  }
  const out: Drift[] = [];
  const mark = ledger.lastContiguousRun;
  const fmt = (m: number | null) => (m === null ? 'none' : formatRunId(m));
  if (mark !== rebuiltMark) {
    const behind = mark === null || (rebuiltMark !== null && mark < rebuiltMark);
    out.push(drift(behind ? 'mark_behind' : 'mark_ahead', [], `last_contiguous_run is ${fmt(mark)}; the sources say ${fmt(rebuiltMark)}`));
  }
  const inSource = new Set(truth.sourceRuns);
  const done = ledgerDone(ledger, truth.sourceRuns);
  const failedButDone = Object.keys(ledger.failed).map(Number).filter((run) => truth.done.has(run));
  if (failedButDone.length) out.push(drift('failed_but_done', failedButDone, `${describeRuns(sortRuns(failedButDone))} recorded failed have since succeeded (the ${truth.destination} has them)`));
  const missing = [...done].filter((run) => inSource.has(run) && !truth.done.has(run));
  if (missing.length) out.push(drift('done_but_missing', missing, `the ledger calls ${describeRuns(sortRuns(missing))} done; the ${truth.destination} does not have them`));
  const notInSource = ledger.doneAbove.filter((run) => !inSource.has(run) && !truth.done.has(run));
  if (notInSource.length) out.push(drift('done_not_in_source', notInSource, `the ledger calls ${describeRuns(sortRuns(notInSource))} done; the ${truth.source} does not have them`));
  const unrecorded = [...truth.done].filter((run) => inSource.has(run) && !done.has(run));
  if (unrecorded.length) out.push(drift('done_not_recorded', unrecorded, `the ${truth.destination} has ${describeRuns(sortRuns(unrecorded))} that the ledger does not call done`));
  return out;
}
