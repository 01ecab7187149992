// Records each product straxer writes as a data entry in the runs DB (when the store opens and knows the run).
import os from 'node:os';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log/index.js';
import type { ProductSummary } from '../../strax/engine/context.js';
import { PyFloat } from '../../strax/json/values.js';
import type { LazyStore } from './lazy-store.js';

export interface DataEntryRecorder {
  record(p: ProductSummary): Promise<void>;
}

/** A recorder on the run's shared runs-DB connection (opened on first use); failures become warnings (the data on disk stays the truth). */
export function runsDbRecorder(config: Config, run: string, logger: Logger, store: LazyStore): DataEntryRecorder {
  let disabled = false;
  return {
    async record(p) {
      if (disabled) return;
      try {
        const doc = await (await store.get()).addData(Number(run), {
          type: p.data_type, host: config.host ?? os.hostname(), location: p.location, lineage_hash: p.lineage_hash,
          ...(Object.keys(p.lineage).length > 0 ? { meta: { lineage: lineageForRunsDb(p.lineage) as Record<string, unknown> } } : {}),
          n_chunks: p.n_chunks, size_mb: p.size_mb, compressor: p.compressor, at: new Date(),
        });
        if (doc === null) logger.debug(`run ${run} is not in the runs DB; ${p.data_type} not recorded there`);
      } catch (error) {
        disabled = true;
        logger.warn(`runs DB: could not record ${p.data_type} of run ${run} (${(error as Error).message}); the data is on disk`);
      }
    },
  };
}

/**
 * A lineage as plain values for the runs DB: Python floats become numbers and exact ints numbers where they fit
 * (MongoDB compares numbers by value inside embedded documents, so int32/int64/double need not match pymongo's choice).
 */
export function lineageForRunsDb(value: unknown): unknown {
  if (value instanceof PyFloat) return value.value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (Array.isArray(value)) return value.map(lineageForRunsDb);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, lineageForRunsDb(v)]));
  return value;
}
