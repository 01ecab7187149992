// The MongoDB updates of claims and stage updates: `$set`/`$unset`/`$inc` on `<state_field>.<stage>.*` only.
import type { Document } from 'mongodb';
import { ConfigError, type ErrorContext } from '../errors.js';
import type { ClaimOptions, StageUpdate } from './store.js';
import type { StageFields } from './types.js';

function prefixed(base: string, fields: StageFields): Document {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => [`${base}.${k}`, v]));
}

/** A claim's `$set`: the caller's fields, then state, host, updated_at and the claim's id. */
export function claimSet(base: string, options: ClaimOptions, now: Date, claimId: string): Document {
  return { ...prefixed(base, options.set ?? {}), [`${base}.state`]: options.to, [`${base}.host`]: options.host, [`${base}.updated_at`]: now, [`${base}.claim_id`]: claimId };
}

/** The update of a StageUpdate (updated_at always set); a field both set and unset, or n_failures set and incremented, is refused. */
export function stageUpdateDoc(base: string, update: StageUpdate, now: Date, context: ErrorContext): Document {
  const set = update.set ?? {};
  for (const key of update.unset ?? []) {
    if (key in set) throw new ConfigError(`updateStage: field ${key} is both set and unset`, { context });
  }
  if (update.incFailures && 'n_failures' in set) throw new ConfigError('updateStage: set n_failures or incFailures, not both', { context });
  const doc: Document = { $set: { ...prefixed(base, set), [`${base}.updated_at`]: now } };
  if (update.unset?.length) doc.$unset = Object.fromEntries(update.unset.map((k) => [`${base}.${k}`, '']));
  if (update.incFailures) doc.$inc = { [`${base}.n_failures`]: update.incFailures };
  return doc;
}
