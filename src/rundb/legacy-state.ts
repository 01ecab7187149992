// An existing processing state (e.g. bootstrax.state) read as daqflow's state of one stage while daqflow has none for it.
import type { Config } from '../config/schema.js';
import { PROCESS_STATES, type ProcessState, type RunDoc } from './types.js';

export interface LegacyState {
  /** Dotted field, e.g. `bootstrax.state`. */
  field: string;
  stage: string;
  /** Its values → daqflow states; other values (and a missing field) mean pending. */
  map: Readonly<Record<string, ProcessState>>;
}

export function legacyStateOf(rundb: Config['rundb']): LegacyState | null {
  const l = rundb.legacy_state;
  return l.field ? { field: l.field, stage: l.stage, map: l.map } : null;
}

/** The legacy values that map to one of `states` (for `pending`, see `pendingLegacyCondition`). */
export function legacyValuesFor(legacy: LegacyState, states: readonly ProcessState[]): string[] {
  return Object.entries(legacy.map).filter(([, s]) => states.includes(s)).map(([v]) => v);
}

/** The daqflow state a run's legacy field stands for (pending when absent or unmapped). */
export function legacyStateValue(legacy: LegacyState, run: Record<string, unknown>): ProcessState {
  let value: unknown = run;
  for (const part of legacy.field.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  const mapped = typeof value === 'string' ? legacy.map[value] : undefined;
  return mapped && PROCESS_STATES.includes(mapped) ? mapped : 'pending';
}

/**
 * The run as daqflow sees it: when the legacy stage has no daqflow sub-document, one is filled in from the legacy
 * field (`{state, legacy: <field>}`); nothing is written.
 */
export function withLegacyState(run: RunDoc, stateField: string, legacy: LegacyState | null): RunDoc {
  if (!legacy) return run;
  const states = (run[stateField] ?? {}) as Record<string, unknown>;
  const sub = states[legacy.stage] as { state?: unknown } | undefined;
  if (sub && typeof sub === 'object' && sub.state != null) return run;
  const state = legacyStateValue(legacy, run);
  if (state === 'pending') return run;
  return { ...run, [stateField]: { ...states, [legacy.stage]: { ...(sub ?? {}), state, legacy: legacy.field } } };
}
