// `daqflow runs …`: the operators' view and overrides of runs (bootstrax's --abandon/--fail/--process and run-doc tags).
import os from 'node:os';
import type { Config } from '../../config/schema.js';
import { ConfigError } from '../../errors.js';
import { openRunStore, stageOf, PROCESS_STATES, type ProcessState, type RunDoc, type RunStore, type StageFields } from '../../rundb/index.js';
import { formatRunId } from '../../util/validate.js';
import { PROCESS } from './constants.js';

export type RunAction = 'abandon' | 'hold' | 'release' | 'retry' | 'fail';

export interface HistoryEntry {
  at: Date;
  by: string;
  action: RunAction;
  reason: string | null;
  from: ProcessState;
}

const IN_FLIGHT: readonly ProcessState[] = ['claimed', 'submitted', 'running'];

/** Who runs the command: `$DAQFLOW_OPERATOR`, else the login name, with the host. */
export function operatorName(): string {
  const user = process.env.DAQFLOW_OPERATOR || process.env.USER || os.userInfo().username;
  return `${user}@${os.hostname()}`;
}

/** `readOnly`: a sqlite runs DB that does not exist is not created (RunsDbNotCreatedError instead). */
export async function withStore<T>(config: Config, work: (store: RunStore) => Promise<T>, options: { readOnly?: boolean } = {}): Promise<T> {
  const store = await openRunStore(config, { mustExist: options.readOnly });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export function parseStates(states: readonly string[]): ProcessState[] {
  for (const s of states) {
    if (!(PROCESS_STATES as readonly string[]).includes(s)) throw new ConfigError(`--state: ${JSON.stringify(s)} is not a state (${PROCESS_STATES.join(', ')})`, { context: { option: 'state' } });
  }
  return states as ProcessState[];
}

export async function listRunStates(store: RunStore, stage: string, states: readonly ProcessState[]): Promise<RunDoc[]> {
  return store.listRuns({ stage, ...(states.length ? { states } : {}), userFilter: false, fields: ['name', 'tags'] });
}

export interface RunStateRow {
  run: number;
  state: string;
  n_failures: number;
  job_id: unknown;
  reason: unknown;
  tags: string[];
}

/** One line of `daqflow runs list`: the run with one stage's state, failures, job, reason and tags. */
export function runStateRow(doc: RunDoc, stateField: string, stage: string): RunStateRow {
  const st = ((doc[stateField] as Record<string, Record<string, unknown>> | undefined)?.[stage]) ?? {};
  return { run: doc.number, state: (st.state as string) ?? 'pending', n_failures: (st.n_failures as number) ?? 0, job_id: st.job_id ?? null, reason: st.reason ?? null, tags: (doc.tags ?? []).map((t) => t.name) };
}

export async function getRunOrThrow(store: RunStore, run: number): Promise<RunDoc> {
  const doc = await store.getRun(run);
  if (!doc) throw new ConfigError(`run ${formatRunId(run)} is not in the runs DB (${store.location})`, { context: { option: 'run' } });
  return doc;
}

/**
 * One operator action on a run, recorded in `daqflow.process.history` (who, when, why, the state before) in the same
 * compare-and-set write: a run that changed meanwhile is reported, never overwritten blindly.
 */
export async function applyAction(store: RunStore, config: Config, run: number, action: RunAction, reason: string | null): Promise<RunDoc> {
  if ((action === 'abandon' || action === 'fail') && !reason?.trim()) throw new ConfigError(`runs ${action}: give --reason (it is kept in the run's history)`, { context: { option: 'reason' } });
  const doc = await getRunOrThrow(store, run);
  const state = stageOf(doc, store.stateField, PROCESS);
  const from: ProcessState = state?.state ?? 'pending';
  const by = operatorName();
  const history = [...(Array.isArray(state?.history) ? (state.history as HistoryEntry[]) : []), { at: new Date(), by, action, reason, from }];
  if (action === 'hold' || action === 'release') await setHold(store, config, doc, action === 'hold', by);
  const set: StageFields = { history, ...stateChange(action, from, run, reason, by) };
  const updated = await store.updateStage(run, PROCESS, { set, expect: [from] });
  if (!updated) throw new ConfigError(`run ${formatRunId(run)} changed while it was being updated (it was ${from}); look again with daqflow runs show ${formatRunId(run)}`);
  return updated;
}

function stateChange(action: RunAction, from: ProcessState, run: number, reason: string | null, by: string): StageFields {
  switch (action) {
    case 'abandon':
      return { state: 'abandoned', reason: `abandoned by ${by}: ${reason}`, next_retry: null };
    case 'fail':
      return { state: 'failed', reason: `failed by ${by}: ${reason}`, next_retry: null };
    case 'retry':
      if (IN_FLIGHT.includes(from)) {
        throw new ConfigError(`run ${formatRunId(run)} is ${from}: a job owns it; use daqflow runs fail ${formatRunId(run)} --reason … first`, { context: { option: 'run' } });
      }
      return { state: 'pending', n_failures: 0, next_retry: null, reason: `retry requested by ${by}${reason ? `: ${reason}` : ''}` };
    default:
      return {};
  }
}

/** hold/release: adds or removes the hold tag in one targeted write; every other tag, and tags others add meanwhile, stay. */
async function setHold(store: RunStore, config: Config, doc: RunDoc, hold: boolean, by: string): Promise<void> {
  const name = config.auto_process.hold_tag;
  if (hold) await store.addTag(doc.number, { name, user: by, date: new Date() });
  else await store.removeTag(doc.number, name);
}
