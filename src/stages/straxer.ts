// straxer: process one run up to the requested data types with the built-in engine (or an external command).
import os from 'node:os';
import type { Config } from '../config/schema.js';
import { workPaths } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { defaultRegistry } from '../strax/plugins/index.js';
import { registryWithPlugins, resolvePluginModules } from '../strax/engine/user-plugins.js';
import { processRun, type ProcessSummary, type ProductSummary } from '../strax/engine/context.js';
import { validateTarget } from '../util/validate.js';
import { runExternal } from './straxer/external.js';
import { jobStateRecorder } from './straxer/job-state.js';
import { lazyStore } from './straxer/lazy-store.js';
import { runsDbRecorder } from './straxer/rundb-hook.js';

export interface StraxerOptions {
  run: string;
  targets: string[];
  config: Config;
  logger: Logger;
  storageDir?: string;
  liveDir?: string;
  workers?: number;
  /** Plugin options (`--option name=value`), over `processing.options`. */
  pluginOptions?: Record<string, unknown>;
  fromScratch?: boolean;
  onProgress?: (p: { segment: number; segments: number; bytesIn: number }) => void;
  /** Called for every product written (the runs-DB hook). */
  onProductSaved?: (p: ProductSummary) => void | Promise<void>;
  /** Record written products as runs-DB data entries (default true). */
  recordInRunsDb?: boolean;
  /** This is a batch job: record running → done | failed for the run in the runs DB (`--job-state`). */
  jobState?: boolean;
}

export type StraxerSummary = ProcessSummary & { engine: 'builtin' | 'command' };

export interface TargetInfo {
  data_type: string;
  plugin: string;
  version: string;
  depends_on: string[];
  data_kind: string;
}

export function listTargets(): TargetInfo[] {
  const registry = defaultRegistry();
  return registry.dataTypes().map((t) => {
    const c = registry.get(t);
    return { data_type: t, plugin: c.name, version: c.version, depends_on: [...c.dependsOn], data_kind: c.dataKind ?? t };
  });
}

export async function runStraxer(o: StraxerOptions): Promise<StraxerSummary> {
  const store = lazyStore(o.config, o.logger);
  const recorder = o.recordInRunsDb === false ? undefined : runsDbRecorder(o.config, o.run, o.logger, store);
  const jobState = o.jobState ? jobStateRecorder(o.config, Number(o.run), o.logger, store) : undefined;
  const user = o.onProductSaved;
  try {
    await jobState?.start();
    const summary = await straxerPass({ ...o, onProductSaved: async (p) => { await user?.(p); await recorder?.record(p); } });
    await jobState?.done();
    return summary;
  } catch (error) {
    await jobState?.failed(error);
    throw error;
  } finally {
    await store.close();
  }
}

async function straxerPass(o: StraxerOptions): Promise<StraxerSummary> {
  const paths = workPaths(o.config);
  const targets = o.targets.map((t) => validateTarget(t));
  const writeDir = o.storageDir ?? paths.writeDir;
  const storageDirs = o.storageDir ? [o.storageDir] : paths.storageDirs;
  const p = o.config.processing;
  if (p.engine === 'command') {
    const t0 = performance.now();
    const found = await runExternal({ template: p.command, run: o.run, targets, storage: writeDir, timeoutMin: p.timeout_min, logger: o.logger });
    const products: ProductSummary[] = found.map((f) => ({ data_type: f.data_type, key: '', lineage_hash: '', source: 'computed', location: f.location, rows: 0, bytes: 0, size_mb: f.size_mb, n_chunks: f.n_chunks, compressor: '' }));
    for (const prod of products) await o.onProductSaved?.(prod);
    const seconds = (performance.now() - t0) / 1000;
    return { engine: 'command', run: o.run, targets, products, computed: targets, loaded: [], segments: 0, bytes_in: 0, seconds, mb_per_s: 0, workers: 1 };
  }
  const pluginModules = resolvePluginModules(p.plugins);
  const summary = await processRun({
    runId: o.run,
    targets,
    registry: await registryWithPlugins(pluginModules),
    builtinPlugins: true,
    pluginModules,
    storageDirs: [...new Set([writeDir, ...storageDirs])],
    writeDir,
    liveDir: o.liveDir ?? paths.liveDir,
    workers: o.workers ?? p.workers ?? os.availableParallelism(),
    options: { ...p.options, ...(o.pluginOptions ?? {}) },
    fromScratch: o.fromScratch,
    chunkTargetMb: p.chunk_target_mb,
    compressor: p.compressor,
    overwrite: o.config.storage.overwrite,
    onProgress: o.onProgress,
    onProductSaved: o.onProductSaved,
  });
  for (const prod of summary.products) o.logger.info(`${prod.source} ${prod.key}: ${prod.rows} rows, ${prod.size_mb.toFixed(2)} MB`);
  return { engine: 'builtin', ...summary };
}
