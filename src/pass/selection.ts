// Which runs a pass works on: incremental (above the marker + due retries), full, or only failed ones.
import type { Ledger } from './ledger.js';

export type PassMode = 'incremental' | 'full' | 'retry-failed';

export interface Candidate {
  run: number;
  /** How many times the run failed before this attempt (0 for a first attempt). */
  nFailuresBefore: number;
}

export interface Selection {
  candidates: Candidate[];
  /** Failed runs whose retry time has not come yet, or that the policy gave up on. */
  waiting: { run: number; reason: string }[];
}

export interface SelectionInput {
  mode: PassMode;
  ledger: Ledger;
  /** Sorted numbers of the runs that exist in the stage's source. */
  sourceRuns: readonly number[];
  /** Runs already present at the destination (full passes skip them even if the ledger does not know). */
  destinationRuns?: ReadonlySet<number>;
  /** Names the source in the reasons for runs of `only` that are not in it. */
  stage?: string;
  /** Restrict to these runs (e.g. given on the command line); each one not selected is reported in `waiting` with the reason. */
  only?: ReadonlySet<number>;
  now: Date;
  /** At most this many candidates per pass, lowest run numbers first (0 = no cap). */
  batchSize?: number;
  /** The stage chose the runs itself (StageWork.selectsRuns): every source run is a candidate, nothing else is. */
  stageSelected?: boolean;
}

export function selectCandidates(input: SelectionInput): Selection {
  const { ledger, now, mode } = input;
  if (input.stageSelected) {
    return { candidates: input.sourceRuns.map((run) => ({ run, nFailuresBefore: ledger.failure(run)?.n_failures ?? 0 })), waiting: [] };
  }
  const candidates: Candidate[] = [];
  const waiting: Selection['waiting'] = [];
  const consider = (run: number, includeUndone: boolean): void => {
    if (input.only && !input.only.has(run)) return;
    const failure = ledger.failure(run);
    if (failure) {
      const due = failure.next_retry !== null && Date.parse(failure.next_retry) <= now.getTime();
      // A run named on the command line is a person asking for it now: its retry time does not hold it back.
      if (mode === 'retry-failed' || due || input.only !== undefined) candidates.push({ run, nFailuresBefore: failure.n_failures });
      else
        waiting.push({
          run,
          reason: failure.next_retry === null ? `gave up after ${failure.n_failures} failures` : `next retry at ${failure.next_retry}`,
        });
      return;
    }
    // A full pass trusts the destination over the ledger: it also finds runs the marker skipped over.
    const done = input.destinationRuns ? input.destinationRuns.has(run) : ledger.isDone(run);
    if (includeUndone && !done) candidates.push({ run, nFailuresBefore: 0 });
  };

  if (mode === 'retry-failed') {
    for (const run of Object.keys(ledger.failed).map(Number)) consider(run, false);
  } else {
    const marker = ledger.lastContiguousRun;
    const seen = new Set<number>();
    for (const run of input.sourceRuns) {
      if (mode === 'incremental' && marker !== null && run <= marker) continue;
      seen.add(run);
      consider(run, true);
    }
    // Failed runs that left the source listing still get their retries.
    for (const run of Object.keys(ledger.failed).map(Number)) if (!seen.has(run)) consider(run, false);
  }
  if (input.only) waiting.push(...notSelected(input, candidates, waiting));
  candidates.sort((a, b) => a.run - b.run);
  waiting.sort((a, b) => a.run - b.run);
  const cap = input.batchSize ?? 0;
  return { candidates: cap > 0 ? candidates.slice(0, cap) : candidates, waiting };
}

/** Why a run named on the command line is not a candidate: never dropped silently. */
function notSelected(input: SelectionInput, candidates: readonly Candidate[], waiting: Selection['waiting']): Selection['waiting'] {
  const accounted = new Set([...candidates.map((c) => c.run), ...waiting.map((w) => w.run)]);
  const inSource = new Set(input.sourceRuns);
  const out: Selection['waiting'] = [];
  for (const run of input.only ?? []) {
    if (accounted.has(run)) continue;
    let reason: string;
    if (!inSource.has(run)) reason = `not in the ${input.stage ?? 'stage'} source`;
    else if (input.mode === 'retry-failed') reason = 'has not failed (a retry pass only takes failed runs)';
    else reason = 'already done (the ledger or the destination has it)';
    out.push({ run, reason });
  }
  return out;
}
