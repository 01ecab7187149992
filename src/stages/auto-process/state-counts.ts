// Runs by processing state (the job counts of the Prometheus file): one count per state on the runs DB.
import type { Config } from '../../config/schema.js';
import { openRunStore, PROCESS_STATES } from '../../rundb/index.js';
import { PROCESS } from './constants.js';

export async function processStateCounts(config: Config): Promise<Record<string, number>> {
  const store = await openRunStore(config);
  try {
    const counts: Record<string, number> = {};
    for (const state of PROCESS_STATES) counts[state] = await store.countRuns({ stage: PROCESS, states: [state] });
    return counts;
  } finally {
    await store.close();
  }
}
