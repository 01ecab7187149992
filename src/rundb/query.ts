// RunQuery checks shared by the backends, and its translation to a MongoDB filter.
import { ConfigError } from '../errors.js';
import { assertRunNumber, assertStage } from './run-doc.js';
import type { RunQuery } from './store.js';
import { legacyValuesFor, type LegacyState } from './legacy-state.js';
import { PROCESS_STATES, type ProcessState } from './types.js';

export function validateQuery(q: RunQuery): void {
  if ((q.states || q.dueBy) && q.stage === undefined) {
    throw new ConfigError('run query: states and dueBy need a stage (e.g. stage: "process")', { context: { option: 'stage' } });
  }
  if (q.stage !== undefined) assertStage(q.stage);
  for (const state of q.states ?? []) assertState(state);
  if (q.min !== undefined) assertRunNumber(q.min, 'min run');
  if (q.max !== undefined) assertRunNumber(q.max, 'max run');
  for (const n of q.numbers ?? []) assertRunNumber(n);
  if (q.limit !== undefined && (!Number.isInteger(q.limit) || q.limit < 0)) {
    throw new ConfigError(`run query: limit ${q.limit} is not a non-negative integer`, { context: { option: 'limit' } });
  }
}

export function assertState(state: unknown): asserts state is ProcessState {
  if (!PROCESS_STATES.includes(state as ProcessState)) {
    throw new ConfigError(`state: ${JSON.stringify(state)} is not a process state (${PROCESS_STATES.join(', ')})`, { context: { option: 'state' } });
  }
}

type Filter = Record<string, unknown>;

/** `{$in: states}` on the state path, with null (= missing) when pending is among them. */
export function stateCondition(states: readonly ProcessState[]): Filter {
  return { $in: states.includes('pending') ? [...states, null] : [...states] };
}

/**
 * The filter for "the stage's state is one of `states`" on `<state_field>.<stage>.state`; with a legacy state for the
 * stage, a run without a daqflow state is judged by the legacy field instead.
 */
export function stageStateFilter(stateField: string, stage: string, states: readonly ProcessState[], legacy: LegacyState | null): Filter {
  const path = `${stateField}.${stage}.state`;
  if (!legacy || legacy.stage !== stage) return { [path]: stateCondition(states) };
  const named = states.filter((s) => s !== 'pending');
  const or: Filter[] = [];
  if (named.length > 0) or.push({ [path]: { $in: named } });
  const legacyValues = legacyValuesFor(legacy, named);
  if (legacyValues.length > 0) or.push({ [path]: null, [legacy.field]: { $in: legacyValues } });
  if (states.includes('pending')) {
    or.push({ [path]: 'pending' });
    // Missing daqflow state and a legacy value that maps to nothing else (or no legacy value at all).
    or.push({ [path]: null, [legacy.field]: { $nin: Object.keys(legacy.map).filter((v) => legacy.map[v] !== 'pending') } });
  }
  return or.length === 1 ? or[0]! : { $or: or };
}

export function dueCondition(path: string, dueBy: Date): Filter {
  return { $or: [{ [path]: null }, { [path]: { $lte: dueBy } }] };
}

/** The MongoDB filter of a RunQuery, AND-ed with the user filter when that applies. */
export function mongoRunFilter(q: RunQuery, stateField: string, userFilter: Filter | null, numberField = 'number', legacy: LegacyState | null = null): Filter {
  const and: Filter[] = [];
  const number: Filter = {};
  if (q.min !== undefined) number.$gte = q.min;
  if (q.max !== undefined) number.$lte = q.max;
  if (q.numbers) number.$in = [...q.numbers];
  if (Object.keys(number).length > 0) and.push({ [numberField]: number });
  if (q.stage !== undefined) {
    const base = `${stateField}.${q.stage}`;
    if (q.states) and.push(stageStateFilter(stateField, q.stage, q.states, legacy));
    if (q.dueBy) and.push(dueCondition(`${base}.next_retry`, q.dueBy));
  }
  if (userFilter && q.userFilter !== false) and.push(userFilter);
  if (and.length === 0) return {};
  return and.length === 1 ? and[0]! : { $and: and };
}
