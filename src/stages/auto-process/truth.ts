// Which runs are auto-process's work and which are processed: one rule for the stage (runs-DB queries) and the report (documents).
import type { TruthRuns } from '../../pass/index.js';
import { PROCESS_STATES, type ProcessState, type RunQuery, type RunStore } from '../../rundb/index.js';
import { PROCESS } from './constants.js';

/**
 * The work: the runs rundb.user_filter keeps, less those a person abandoned (never processed again). Done: the runs the
 * runs DB calls processed, whoever processed them (auto-process, submit, straxer) and whatever the filter says now.
 */
const WORK: RunQuery = { stage: PROCESS, states: PROCESS_STATES.filter((s) => s !== 'abandoned') };
const DONE: RunQuery = { stage: PROCESS, states: ['done'], userFilter: false };

/** The rule through the runs DB: run numbers only, so no document is read (unless a user filter needs them). */
export async function processTruthOf(store: RunStore): Promise<TruthRuns> {
  const [sourceRuns, doneRuns] = await Promise.all([store.listRunNumbers(WORK), store.listRunNumbers(DONE)]);
  return { sourceRuns, doneRuns };
}

/**
 * The same rule over facts already read: each run's process state (undefined = none, i.e. pending, as a RunQuery reads
 * it) in ascending run order, and the runs the user filter keeps (null: no filter).
 */
export function processTruth(states: Iterable<readonly [number, ProcessState | undefined]>, kept: ReadonlySet<number> | null): TruthRuns {
  const sourceRuns: number[] = [];
  const doneRuns: number[] = [];
  for (const [run, state] of states) {
    if (matches(WORK, run, state, kept)) sourceRuns.push(run);
    if (matches(DONE, run, state, kept)) doneRuns.push(run);
  }
  return { sourceRuns, doneRuns };
}

/** Whether a run with this state is one the query lists (its stage states and user filter only: the rule uses no other condition). */
function matches(query: RunQuery, run: number, state: ProcessState | undefined, kept: ReadonlySet<number> | null): boolean {
  const stateOk = query.states!.includes(state ?? 'pending');
  return stateOk && (query.userFilter === false || kept === null || kept.has(run));
}
