// The processing context: resolve targets, reuse stored products with a matching lineage, compute the rest segment by
// segment (inline or on worker threads), and save every computed product in strax format.
import os from 'node:os';
import path from 'node:path';
import { ConfigError, DataNotAvailableError, DiskFullError, isDiskFull } from '../../errors.js';
import type { CompressorName } from '../compress/types.js';
import type { PyJson } from '../json/values.js';
import type { Lineage } from '../lineage.js';
import { readChunks } from '../storage/chunk-reader.js';
import { DecodedChunkPool, sharedWithHeadroom, withHeadroom } from './headroom.js';
import { DataDirectory } from '../storage/data-directory.js';
import type { StoredDataset } from '../storage/dataset.js';
import type { OverwritePolicy } from '../storage/saver.js';
import { DataKey } from './data-key.js';
import { InlineExecutor, WorkerExecutor, type CompressTask, type Executor } from './executor.js';
import type { RunDocDaq } from './daq-live.js';
import { OverlapStage, overlapStage, splitWindowed } from './overlap.js';
import { instantiate, type PluginInputs } from './plugin.js';
import { ProductWriter } from './product-writer.js';
import type { PluginRegistry } from './registry.js';
import { checkUserOptions, resolvePlugins, type ResolvedPlugin } from './resolve.js';
import { RowNumberer } from './row-numberer.js';
import { segmentSource } from './segment-source.js';
import { SEGMENTS_KEY, SegmentSlicer, segmentsToPyJson, type Segment } from './segments.js';

export interface ProcessOptions {
  runId: string;
  targets: string[];
  registry: PluginRegistry;
  /** True when `registry` holds only the reference plugins and those of `pluginModules` (they can run on worker threads). */
  builtinPlugins?: boolean;
  /** User plugin modules (absolute paths) in `registry`; worker threads load them too. */
  pluginModules?: readonly string[];
  storageDirs: string[];
  writeDir: string;
  liveDir: string;
  workers?: number;
  options?: Record<string, unknown>;
  fromScratch?: boolean;
  chunkTargetMb?: number | null;
  compressor?: CompressorName | null;
  /** Also save these computed types when their plugin's saveWhen is `target` or `explicit` (strax's `save`). */
  save?: string[];
  overwrite?: OverwritePolicy;
  onProgress?: (p: { segment: number; segments: number; bytesIn: number }) => void;
  /** The DAQ's channel split (live.channel_map); default XENONnT's. */
  channelMap?: Readonly<Record<string, readonly [number, number]>>;
  /** Process a run while the DAQ writes it: wait for ready chunks until THE_END (straxer --follow). */
  follow?: { pollMs: number; timeoutMs: number };
  /** Aborting stops after the segment in hand; every open product is then closed with the reason as its exception. */
  signal?: AbortSignal;
  /** The run's start and daq_config from the runs DB, asked for only when the live run has no run record. */
  runDoc?: () => Promise<RunDocDaq | null>;
  onProductSaved?: (p: ProductSummary) => void | Promise<void>;
}

export interface ProductSummary {
  data_type: string;
  key: string;
  lineage_hash: string;
  /** The full lineage in strax's key order (what straxen's RunDB frontend matches as `meta.lineage`). */
  lineage: Lineage;
  source: 'stored' | 'computed';
  location: string;
  rows: number;
  bytes: number;
  size_mb: number;
  n_chunks: number;
  compressor: string;
}

export interface ProcessSummary {
  run: string;
  targets: string[];
  products: ProductSummary[];
  computed: string[];
  loaded: string[];
  segments: number;
  bytes_in: number;
  seconds: number;
  mb_per_s: number;
  workers: number;
}

function findStored(dirs: string[], key: DataKey): StoredDataset | undefined {
  for (const dir of dirs) {
    try {
      return new DataDirectory(dir).find(key.runId, key.dataType, key.lineageHash);
    } catch (error) {
      if (!(error instanceof DataNotAvailableError)) throw error;
    }
  }
  return undefined;
}

function storedSummary(r: ResolvedPlugin, key: DataKey, ds: StoredDataset): ProductSummary {
  const md = ds.metadata!;
  const rows = md.chunks.reduce((a, c) => a + c.n, 0);
  return { data_type: r.dataType, key: String(key), lineage_hash: key.lineageHash, lineage: r.lineage, source: 'stored', location: ds.path, rows, bytes: md.chunks.reduce((a, c) => a + (c.nbytes ?? 0), 0), size_mb: ds.sizeOnDisk / 1e6, n_chunks: md.chunks.length, compressor: md.compressor };
}

/** Process one run up to `targets`. */
export async function processRun(o: ProcessOptions): Promise<ProcessSummary> {
  const t0 = performance.now();
  const userOptions = checkUserOptions(o.registry, o.options ?? {});
  const plan = resolvePlugins(o.registry, o.targets, userOptions);
  const byType = new Map(plan.map((r) => [r.dataType, r]));
  const keys = new Map(plan.map((r) => [r.dataType, new DataKey(o.runId, r.dataType, r.lineageHash, r.lineage)]));
  const stored = new Map<string, StoredDataset>();
  if (!o.fromScratch) for (const r of plan) {
    const ds = findStored(o.storageDirs, keys.get(r.dataType)!);
    if (ds) stored.set(r.dataType, ds);
  }
  const compute = new Set<string>();
  const load = new Set<string>();
  const need = (type: string, asInput: boolean) => {
    if (compute.has(type)) return;
    if (stored.has(type)) {
      if (asInput) load.add(type);
      return;
    }
    compute.add(type);
    for (const d of byType.get(type)!.cls.dependsOn) need(d, true);
  };
  for (const t of o.targets) need(t, false);
  const order = plan.filter((r) => compute.has(r.dataType));
  const saveAlso = new Set(o.save ?? []);
  for (const t of saveAlso) o.registry.get(t); // unknown type: ConfigError listing the targets
  for (const t of o.targets) if (byType.get(t)!.cls.saveWhen === 'never' && compute.has(t)) {
    throw new ConfigError(`data type ${t} is never saved (its plugin's saveWhen is never); target a type that depends on it`, { context: { option: 'target' } });
  }
  const saved = order.filter((r) => {
    const when = r.cls.saveWhen;
    return when === 'always' || (when === 'target' && (o.targets.includes(r.dataType) || saveAlso.has(r.dataType))) || (when === 'explicit' && saveAlso.has(r.dataType));
  });
  const products: ProductSummary[] = [];
  for (const t of o.targets) if (!compute.has(t)) products.push(storedSummary(byType.get(t)!, keys.get(t)!, stored.get(t)!));
  const workers = Math.max(1, o.workers ?? os.availableParallelism());
  let bytesIn = 0;
  let segments: Segment[] = [];
  if (order.length > 0) {
    const source = await segmentSource(o, order, stored, [...load]);
    segments = source.planned;
    const split = splitWindowed(plan, order);
    const setups = split.local.map((r) => ({ dataType: r.dataType, config: r.config }));
    const onWorkers = workers > 1 && o.builtinPlugins === true && setups.length > 0;
    const slicers = new Map<string, SegmentSlicer>();
    // Whatever may hold a view of a decoded stored chunk (the slicers, the product writers, the overlap stage), added
    // as they are made: a pooled chunk buffer is used again only when none of them does.
    const holders: Array<{ holds(buffer: ArrayBufferLike): boolean }> = [];
    // daqflow's own plugins keep no view of an input once compute() returns (user plugins may, as strax plugins can).
    const ownPluginsOnly = o.builtinPlugins === true && (o.pluginModules ?? []).length === 0;
    const reusable = ownPluginsOnly && !onWorkers;
    for (const t of load) {
      const ds = stored.get(t)!;
      // Where the codec decodes straight into a given buffer (zstd; lz4's would decode elsewhere and copy): stored
      // rows the overlap stage joins to its carried rows get room for those in front (see headroom.ts), and rows for
      // worker threads are decoded into memory shared with them, so they are not copied for each segment. On this
      // thread, with daqflow's own plugins only, a chunk is decoded into the buffer of an earlier one nothing holds.
      const inPlace = ds.metadata?.compressor === 'zstd';
      const inFront = inPlace && split.external.includes(t) && !byType.get(t)!.cls.rowReference;
      const largest = (ds.metadata?.chunks ?? []).reduce((a, c) => Math.max(a, c.nbytes), 0);
      const pooled = inPlace && reusable ? new DecodedChunkPool((buffer) => holders.some((h) => h.holds(buffer)), largest) : undefined;
      const decodeInto = inPlace && onWorkers ? sharedWithHeadroom : (pooled?.take ?? (inFront ? withHeadroom : undefined));
      slicers.set(t, new SegmentSlicer(readChunks(ds, { decodeInto })[Symbol.asyncIterator](), instantiate(byType.get(t)!.cls, byType.get(t)!.config).layout));
    }
    holders.push(...slicers.values());
    const executor: Executor = onWorkers ? new WorkerExecutor(workers, setups, o.pluginModules) : new InlineExecutor(new Map(split.local.map((r) => [r.dataType, r.cls])), setups);
    const dir = new DataDirectory(o.writeDir);
    const writers = new Map<string, ProductWriter>();
    try {
      // With workers, one segment more than there are workers: it is read (and decoded) while they all compute, so a
      // worker that finishes gets its next segment at once instead of waiting for the main thread to read it.
      const maxInFlight = executor instanceof WorkerExecutor ? workers + 1 : 1;
      for (const r of saved) {
        const layout = instantiate(r.cls, r.config).layout;
        const target = o.chunkTargetMb ?? r.cls.chunkTargetMB;
        const saver = await dir.save(
          {
            runId: o.runId, dataType: r.dataType, dataKind: r.cls.dataKind ?? r.dataType, dtype: layout, lineage: r.lineage as PyJson,
            lineageHash: r.lineageHash, compressor: o.compressor ?? r.cls.compressor, chunkTargetSizeMb: target,
            extra: { [SEGMENTS_KEY]: segmentsToPyJson(segments), daqflow_plugin: r.cls.name },
          },
          { overwrite: o.fromScratch ? 'always' : (o.overwrite ?? 'if_broken') },
        );
        const codec = { compressor: o.compressor ?? r.cls.compressor, level: o.compressor ? undefined : r.cls.compressorLevel, compress: (t: CompressTask) => executor.compress(t), maxPending: 1 };
        writers.set(r.dataType, new ProductWriter(saver, layout, target, codec));
      }
      const inFlight: Array<{ seg: Segment; result: Promise<PluginInputs>; inputs: PluginInputs }> = [];
      // (Segments in flight hold none: on this thread, the only one pooled buffers are used on, each segment is
      // drained before the next one is read.)
      holders.push(...writers.values());
      const numbering = new Map(saved.filter((r) => r.cls.numberedField).map((r) => [r.dataType, new RowNumberer(instantiate(r.cls, r.config).layout, r.cls.numberedField!)]));
      // A segment's rows that also feed the overlap stage stay in use there (it may carry them to the next segment):
      // their writer must not hand them to a worker thread, which would detach the buffer under the stage.
      const write = async (start: bigint, end: bigint, rows: PluginInputs, sharedWith: readonly string[] = []) => {
        for (const [type, data] of Object.entries(rows)) {
          const w = writers.get(type);
          if (!w) continue; // an input of the overlap stage, not saved
          numbering.get(type)?.number(data);
          await w.add({ start, end, data }, !sharedWith.includes(type));
        }
      };
      let stage: OverlapStage | undefined;
      holders.push({ holds: (buffer) => stage?.holds(buffer) ?? false });
      const drain = async () => {
        const head = inFlight.shift()!;
        const out = await head.result;
        await write(head.seg.start, head.seg.end, out, split.external);
        if (split.windowed.length === 0) return;
        stage ??= overlapStage(o.runId, split, head.seg.start, byType, ownPluginsOnly);
        const fed: PluginInputs = {};
        for (const t of split.external) fed[t] = out[t] ?? head.inputs[t] ?? new Uint8Array(0);
        const sent = await stage.add(head.seg.end, fed);
        if (sent) await write(sent.start, sent.end, sent.rows);
      };
      const keep = [...new Set([...saved.map((r) => r.dataType), ...split.external])];
      const done: Segment[] = [];
      for await (const next of source.segments) {
        const seg = next.seg;
        const inputs: PluginInputs = { ...next.inputs };
        bytesIn += next.nbytes; // live data: the decoded bytes read (the DAQ's overlap windows twice, as DAQReader)
        for (const [t, s] of slicers) {
          inputs[t] = await s.take(seg.end);
          bytesIn += inputs[t].length;
        }
        // The live rows and frame are this segment's alone; stored inputs stay in use (their slicer's views, the
        // overlap stage), so a worker thread gets copies of those.
        const handOver = Object.keys(next.inputs).filter((t) => !split.external.includes(t));
        const result = executor.run({ range: { runId: o.runId, start: seg.start, end: seg.end }, inputs, live: next.live, keep, handOver });
        result.catch(() => undefined);
        inFlight.push({ seg, result, inputs });
        done.push(seg);
        while (inFlight.length >= maxInFlight) await drain();
        o.onProgress?.({ segment: done.length, segments: Math.max(done.length, source.expected()), bytesIn });
        if (o.signal?.aborted) throw o.signal.reason;
      }
      while (inFlight.length > 0) await drain();
      if (o.signal?.aborted) throw o.signal.reason;
      const last = await stage?.finish();
      if (last) await write(last.start, last.end, last.rows);
      segments = done;
      for (const w of writers.values()) w.saver.metadata.extra[SEGMENTS_KEY] = segmentsToPyJson(segments);
      // Close every product at once: their last chunks compress in parallel.
      const closing = await Promise.allSettled(saved.map((r) => writers.get(r.dataType)!.finish()));
      // When the disk filled up, the other products' failures follow from it (their writes were cut short): the full
      // disk is what the operator has to fix, so it is the failure reported.
      const closeFailures = closing.flatMap((c) => (c.status === 'rejected' ? [c.reason as unknown] : []));
      if (closeFailures.length > 0) throw closeFailures.find((e) => isDiskFull(e)) ?? closeFailures[0];
      for (const [k, r] of saved.entries()) {
        const w = writers.get(r.dataType)!;
        const md = (closing[k] as PromiseFulfilledResult<Awaited<ReturnType<ProductWriter['finish']>>>).value;
        const ds = { path: w.saver.finalPath };
        const sizeMb = md.chunks.reduce((a, c) => a + (c.filesize ?? 0), 0) / 1e6;
        const p: ProductSummary = { data_type: r.dataType, key: String(keys.get(r.dataType)), lineage_hash: r.lineageHash, lineage: r.lineage, source: 'computed', location: ds.path, rows: w.rows, bytes: w.bytes, size_mb: sizeMb, n_chunks: md.chunks.length, compressor: md.compressor };
        products.push(p);
        await o.onProductSaved?.(p);
      }
    } catch (caught) {
      const error = o.signal?.aborted ? o.signal.reason : caught;
      for (const w of writers.values()) await w.saver.fail(error).catch(() => undefined);
      if (isDiskFull(error)) throw new DiskFullError(path.resolve(o.writeDir), `writing run ${o.runId}`, { context: { run: o.runId }, cause: error });
      throw error;
    } finally {
      await executor.close();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    run: o.runId, targets: o.targets, products, computed: order.map((r) => r.dataType), loaded: [...load], segments: segments.length,
    bytes_in: bytesIn, seconds, mb_per_s: seconds > 0 ? bytesIn / 1e6 / seconds : 0, workers,
  };
}
