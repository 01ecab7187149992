// A run whose processing is still going on is not rechunked yet: its writer may still add datasets and register them
// (a straxer job records each product's runs-DB entry after it closes it), and moving them away under it would leave
// an entry pointing at a folder that is gone.
import lockfile from 'proper-lockfile';
import path from 'node:path';
import type { Config } from '../../config/schema.js';
import { workPaths } from '../../config/index.js';
import { stageOf, type RunDoc } from '../../rundb/index.js';
import { formatRunId } from '../../util/validate.js';

const IN_FLIGHT = new Set(['claimed', 'submitted', 'running']);

/** Why the run is still being processed (a live straxer lock on this work dir, or its process state), or undefined. */
export function processingInFlight(config: Config, run: number, doc: RunDoc | null, stateField: string): string | undefined {
  const target = path.join(workPaths(config).locksDir, `straxer-${formatRunId(run)}`);
  const held = lockfile.checkSync(target, { realpath: false, lockfilePath: `${target}.lock`, stale: config.pass.lock_stale_s * 1000 });
  if (held) return 'a straxer is processing it (its run lock is held)';
  const state = doc ? stageOf(doc, stateField, 'process')?.state : undefined;
  if (state && IN_FLIGHT.has(state)) return `its processing is ${state}; rechunked once it has ended`;
  return undefined;
}
