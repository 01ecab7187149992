// One runs-DB connection for a straxer run, opened on first use and shared by the data-entry and job-state recorders.
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log/index.js';
import type { RunStore } from '../../rundb/index.js';

export interface LazyStore {
  get(): Promise<RunStore>;
  close(): Promise<void>;
}

export function lazyStore(config: Config, logger: Logger): LazyStore {
  let opening: Promise<RunStore> | undefined;
  return {
    get() {
      opening ??= import('../../rundb/index.js').then(({ openRunStore }) => openRunStore(config, { logger }));
      return opening;
    },
    async close() {
      if (opening) await (await opening.catch(() => undefined))?.close().catch(() => undefined);
    },
  };
}
