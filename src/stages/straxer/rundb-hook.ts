// Records each product straxer writes as a data entry in the runs DB (when the store opens and knows the run).
import os from 'node:os';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log/index.js';
import type { RunStore } from '../../rundb/index.js';
import type { ProductSummary } from '../../strax/engine/context.js';

export interface DataEntryRecorder {
  record(p: ProductSummary): Promise<void>;
  close(): Promise<void>;
}

/** A recorder that opens the runs DB on first use; failures become warnings (the data on disk stays the truth). */
export function runsDbRecorder(config: Config, run: string, logger: Logger): DataEntryRecorder {
  let store: RunStore | undefined;
  let disabled = false;
  return {
    async record(p) {
      if (disabled) return;
      try {
        if (!store) {
          const { openRunStore } = await import('../../rundb/index.js');
          store = await openRunStore(config, { logger });
        }
        const doc = await store.addData(Number(run), {
          type: p.data_type, host: config.host ?? os.hostname(), location: p.location, lineage_hash: p.lineage_hash,
          n_chunks: p.n_chunks, size_mb: p.size_mb, compressor: p.compressor, at: new Date(),
        });
        if (doc === null) logger.debug(`run ${run} is not in the runs DB; ${p.data_type} not recorded there`);
      } catch (error) {
        disabled = true;
        logger.warn(`runs DB: could not record ${p.data_type} of run ${run} (${(error as Error).message}); the data is on disk`);
      }
    },
    async close() {
      await store?.close().catch(() => undefined);
    },
  };
}
