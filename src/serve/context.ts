// What the route handlers share: the resolved config's serve settings, storage roots, runs DB, load queue, metrics.
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/index.js';
import type { RunStore } from '../rundb/index.js';
import type { DatasetCache } from './dataset-cache.js';
import type { LoadQueue } from './load-queue.js';
import type { ServeMetrics } from './metrics.js';

export interface ServeContext {
  /** The whole configuration (the status report reads every source). */
  config: Config;
  serve: Config['serve'];
  /** Absolute storage roots; nothing outside them is ever read. */
  roots: readonly string[];
  store: RunStore;
  /** Inspected datasets of the storage roots, kept while unchanged. */
  datasets: DatasetCache;
  queue: LoadQueue;
  metrics: ServeMetrics;
  logger: Logger;
}
