// straxer: process one run up to the requested data types with the built-in engine (or an external command).
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, InterruptedError, LockBusyError } from '../errors.js';
import { acquireStageLock, type StageLock } from '../pass/lock.js';
import { watchSignals } from '../pass/signals.js';
import type { Config } from '../config/schema.js';
import { workPaths } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { registryWithPlugins, resolvePluginModules } from '../strax/engine/user-plugins.js';
import { processRun, type ProcessSummary, type ProductSummary } from '../strax/engine/context.js';
import type { RunDocDaq } from '../strax/engine/daq-live.js';
import { validateTarget } from '../util/validate.js';
import { wasmMemoryAvailable } from '../util/wasm.js';
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
  /** With jobState: the claim id that owns the run (set by submit); updates of a run claimed anew are refused. */
  claimId?: string;
  /** Another straxer holds the run's lock: wait for it instead of exiting 75. */
  wait?: boolean;
  /** Process the run while the DAQ writes it, waiting for ready chunks until THE_END. */
  follow?: boolean;
  /** --follow: give up when no chunk became ready for this long [s] (default 300, as DAQReader). */
  followTimeoutS?: number;
}

export type StraxerSummary = ProcessSummary & { engine: 'builtin' | 'command' };

export interface TargetInfo {
  data_type: string;
  plugin: string;
  version: string;
  depends_on: string[];
  data_kind: string;
}

/** What can be produced: the reference chain plus the plugins of `processing.plugins`. */
export async function listTargets(config: Config): Promise<TargetInfo[]> {
  const registry = await registryWithPlugins(resolvePluginModules(config.processing.plugins));
  return registry.dataTypes().map((t) => {
    const c = registry.get(t);
    return { data_type: t, plugin: c.name, version: c.version, depends_on: [...c.dependsOn], data_kind: c.dataKind ?? t };
  });
}

export async function runStraxer(o: StraxerOptions): Promise<StraxerSummary> {
  const stop = new AbortController();
  // SIGTERM/SIGINT: stop at the next segment (or while waiting for live data or the lock); the open products are
  // closed strax-style with the interruption as their exception, and the command exits 143 (130 for SIGINT).
  const signals = watchSignals({
    onFirst: (signal) => {
      o.logger.warn(`${signal} received: stopping run ${o.run}; open products are closed with an exception`);
      stop.abort(new InterruptedError(signal, `straxer stopped run ${o.run} before it was complete`));
    },
  });
  let lock: StageLock | undefined;
  try {
    lock = await takeRunLock(o, stop.signal);
    return await straxerWithRunsDb(o, stop.signal);
  } catch (error) {
    throw stop.signal.aborted ? stop.signal.reason : error;
  } finally {
    await lock?.release();
    signals.dispose();
  }
}

/** The per-run lock (`straxer-<run>` in the locks folder): a second straxer on the run exits 75 naming the holder, or waits. */
async function takeRunLock(o: StraxerOptions, signal: AbortSignal): Promise<StageLock> {
  const { pass } = o.config;
  const take = () => acquireStageLock({
    locksDir: workPaths(o.config).locksDir, stage: `straxer-${o.run}`, staleMs: pass.lock_stale_s * 1000, updateMs: pass.lock_update_s * 1000,
    command: `straxer ${o.run} --target ${o.targets.join(',')}`, holderKind: 'straxer',
    onTakeover: (previous, ageMs) => o.logger.warn(`run ${o.run}: took over a stale straxer lock of pid ${previous?.pid ?? '?'} (no update for ${(ageMs / 1000).toFixed(0)} s)`),
  });
  for (let told = false; ; told = true) {
    try {
      return await take();
    } catch (error) {
      if (!(error instanceof LockBusyError) || !o.wait) throw error;
      if (!told) o.logger.info(`run ${o.run} is being processed by ${error.holder ? `pid ${error.holder.pid} on ${error.holder.host}` : 'another straxer'}; waiting for it (--wait)`);
      await sleep(1000, undefined, { signal });
    }
  }
}

async function straxerWithRunsDb(o: StraxerOptions, signal: AbortSignal): Promise<StraxerSummary> {
  const store = lazyStore(o.config, o.logger);
  const recorder = o.recordInRunsDb === false ? undefined : runsDbRecorder(o.config, o.run, o.logger, store);
  const jobState = o.jobState ? jobStateRecorder(o.config, Number(o.run), o.logger, store, undefined, o.claimId) : undefined;
  const user = o.onProductSaved;
  try {
    await jobState?.start();
    const runDoc = async () => (await store.get()).getRun(Number(o.run));
    const summary = await straxerPass({ ...o, onProductSaved: async (p) => { await user?.(p); await recorder?.record(p); } }, signal, runDoc);
    await jobState?.done();
    return summary;
  } catch (error) {
    await jobState?.failed(signal.aborted ? signal.reason : error);
    throw error;
  } finally {
    await store.close();
  }
}

async function straxerPass(o: StraxerOptions, signal: AbortSignal, runDoc: () => Promise<RunDocDaq | null>): Promise<StraxerSummary> {
  const paths = workPaths(o.config);
  const targets = o.targets.map((t) => validateTarget(t));
  const writeDir = o.storageDir ?? paths.writeDir;
  const storageDirs = o.storageDir ? [o.storageDir] : paths.storageDirs;
  const p = o.config.processing;
  if (p.engine === 'command') {
    if (o.follow) throw new ConfigError('--follow needs the built-in engine (processing.engine: builtin); the external processor reads the live data itself', { context: { option: 'follow' } });
    const t0 = performance.now();
    const products = await runExternal({ template: p.command, run: o.run, targets, storage: writeDir, timeoutMin: p.timeout_min, logger: o.logger, signal });
    for (const prod of products) await o.onProductSaved?.(prod);
    const seconds = (performance.now() - t0) / 1000;
    return { engine: 'command', run: o.run, targets, products, computed: targets, loaded: [], segments: 0, bytes_in: 0, seconds, mb_per_s: 0, workers: 1 };
  }
  if (!wasmMemoryAvailable()) o.logger.warn('no WebAssembly memory can be had (a virtual-memory limit? ulimit -v): records are made, hits found and peak waveforms summed in JavaScript, correct but slower (hits ~2.5×); docs/ENGINE.md, "WebAssembly kernels"');
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
    channelMap: o.config.live.channel_map,
    workers: o.workers ?? p.workers ?? os.availableParallelism(),
    options: { ...p.options, ...(o.pluginOptions ?? {}) },
    fromScratch: o.fromScratch,
    chunkTargetMb: p.chunk_target_mb,
    compressor: p.compressor,
    overwrite: o.config.storage.overwrite,
    onProgress: o.onProgress,
    onProductSaved: o.onProductSaved,
    follow: o.follow ? { pollMs: 2000, timeoutMs: (o.followTimeoutS ?? 300) * 1000 } : undefined,
    signal,
    runDoc,
  });
  for (const prod of summary.products) o.logger.info(`${prod.source} ${prod.key}: ${prod.rows} rows, ${prod.size_mb.toFixed(2)} MB`);
  return { engine: 'builtin', ...summary };
}
