// Runs segment computations and chunk compression: inline (1 worker) or on a pool of worker_threads (N workers).
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { InternalError } from '../../errors.js';
import { boundsProblems } from '../chunk/bounds.js';
import zstdBinding from 'zstd-napi/binding.js';
import { getCompressor } from '../compress/index.js';
import type { CompressorName } from '../compress/types.js';
import type { RecordLayout } from '../dtype/layout.js';
import { DataCorruptedError } from '../errors.js';
import { decodeLiveFrame, type LiveFrame } from './live-data.js';
import { instantiate, type ChunkRange, type ConcretePluginClass, type Plugin, type PluginConfig, type PluginInputs } from './plugin.js';

export interface PluginSetup {
  dataType: string;
  config: PluginConfig;
}

export interface SegmentTask {
  range: ChunkRange;
  inputs: PluginInputs;
  /**
   * The segment's live chunk, still compressed: decoded where the segment is computed and given as `inputs.live`.
   * Handed over: a worker thread takes its buffer, so the caller must not use the frame after run().
   */
  live?: LiveFrame;
  /**
   * Inputs that are this task's alone (the caller keeps no view on their buffers): a worker thread takes them over.
   * Every other input is copied, so the caller's views stay usable (a transferred buffer is detached everywhere).
   */
  handOver?: readonly string[];
  /** Data types to hand back (default: every computed type); the others are dropped where they were computed. */
  keep?: readonly string[];
}

/** Rows to compress into one frame (the parts are concatenated in order). */
export interface CompressTask {
  compressor: CompressorName;
  level?: number;
  parts: Uint8Array[];
  /** The parts are this task's alone (the caller keeps no view on their buffers): a worker thread takes them over instead of a copy. */
  handOver?: boolean;
  /** zstd threads for a large frame (set by the WorkerExecutor when no segment is left to compute: see pump()). */
  zstdThreads?: number;
}

export interface Executor {
  run(task: SegmentTask): Promise<PluginInputs>;
  compress(task: CompressTask): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface PreparedPlugin {
  dataType: string;
  plugin: Plugin;
  deps: readonly string[];
  layout: RecordLayout;
}

export function preparePlugins(classes: (type: string) => ConcretePluginClass, setups: PluginSetup[]): PreparedPlugin[] {
  return setups.map((s) => {
    const cls = classes(s.dataType);
    const plugin = instantiate(cls, s.config);
    return { dataType: s.dataType, plugin, deps: cls.dependsOn, layout: plugin.layout };
  });
}

/** Compute `plugins` (dependencies first) for one segment; returns the kept types' rows, checked against the segment. */
export async function computeSegment(plugins: PreparedPlugin[], task: SegmentTask, checkBounds = true): Promise<PluginInputs> {
  const have: PluginInputs = { ...task.inputs };
  if (task.live) have.live = await decodeLiveFrame(task.live);
  const out: PluginInputs = {};
  const keep = task.keep ? new Set(task.keep) : undefined;
  for (const { dataType, plugin, deps, layout } of plugins) {
    const inputs: PluginInputs = {};
    for (const d of deps) inputs[d] = have[d]!;
    if (deps.length === 0) inputs.live = have[`live:${dataType}`] ?? have.live!;
    const rows = plugin.compute(inputs, task.range);
    have[dataType] = rows;
    if (keep && !keep.has(dataType)) continue;
    if (rows.length % layout.itemsize !== 0) throw new InternalError(`plugin ${plugin.constructor.name}: ${rows.length} bytes is not a whole number of ${layout.itemsize}-byte rows`);
    const problems = checkBounds ? boundsProblems(layout, rows, task.range.start, task.range.end) : [];
    if (problems.length > 0) throw new InternalError(`plugin ${plugin.constructor.name}: rows outside the segment [${task.range.start}, ${task.range.end}): ${problems.join('; ')}`);
    out[dataType] = rows;
  }
  return out;
}

/**
 * Compress the parts, in order, into one frame (zstd streams them without concatenating). `zstdThreads` > 0: a large
 * zstd frame is compressed by that many of zstd's own threads while the caller waits (the inline executor, whose
 * thread has nothing else to do then); the frame is as readable, with the content size in its header as always.
 */
export async function compressParts(task: CompressTask, zstdThreads = 0): Promise<Uint8Array> {
  if (task.compressor === 'zstd') {
    const total = task.parts.reduce((a, p) => a + p.length, 0);
    const threads = total >= ZSTD_THREADED_BYTES ? zstdThreads : 0;
    if (task.parts.length > 1 || threads > 0) return zstdStream(task.parts, task.level ?? 3, threads);
  }
  const data = task.parts.length === 1 ? task.parts[0]! : Buffer.concat(task.parts);
  return getCompressor(task.compressor, { level: task.level }).compress(data);
}

/** Below this, zstd's threads would not get more than one job each (and cost their start-up). */
const ZSTD_THREADED_BYTES = 8e6;

/** zstd contexts with threads, by level and thread count: their threads start once and are reused for every frame. */
const threadedContexts = new Map<string, InstanceType<typeof zstdBinding.CCtx>>();

function zstdContext(level: number, threads: number): InstanceType<typeof zstdBinding.CCtx> {
  const key = `${level}/${threads}`;
  let cctx = threads > 0 ? threadedContexts.get(key) : undefined;
  if (!cctx) {
    cctx = new zstdBinding.CCtx();
    cctx.setParameter(zstdBinding.CParameter.compressionLevel, level);
    if (threads > 0) {
      cctx.setParameter(zstdBinding.CParameter.nbWorkers, threads);
      threadedContexts.set(key, cctx);
    }
  }
  return cctx;
}

/** One zstd frame (content size in the header, as a one-shot frame has) from several buffers. */
function zstdStream(parts: Uint8Array[], level: number, threads: number): Uint8Array {
  const total = parts.reduce((a, p) => a + p.length, 0);
  const cctx = zstdContext(level, threads);
  cctx.setPledgedSrcSize(total);
  const out = Buffer.allocUnsafe(zstdBinding.compressBound(total));
  let pos = 0;
  try {
    for (let k = 0; k < parts.length; k++) {
      const last = k === parts.length - 1;
      let src = parts[k]!;
      for (;;) {
        const [left, produced, consumed] = cctx.compressStream2(out.subarray(pos), src, last ? zstdBinding.EndDirective.end : zstdBinding.EndDirective.continue);
        pos += produced;
        src = src.subarray(consumed);
        if (last ? left === 0 : src.length === 0) break;
      }
    }
  } catch (error) {
    cctx.reset(zstdBinding.ResetDirective.sessionOnly); // a reused context starts its next frame afresh
    throw error;
  }
  // No exact-size copy: only the pages zstd wrote are resident (a buffer this large is its own mapping), and a copy
  // would hold the frame twice at the peak. A worker's result is copied into its own buffer for transfer anyway.
  return out.subarray(0, pos);
}

/**
 * zstd threads for the inline executor's frames: its one thread computes or compresses, never both, so zstd may use
 * two cores while it compresses (worker threads compress single-threaded while segments are computed, as the pool
 * fills the machine then; WorkerExecutor.pump gives the last compressions threads).
 */
const CORES = os.availableParallelism();
const INLINE_ZSTD_THREADS = CORES > 1 ? 2 : 0;

export class InlineExecutor implements Executor {
  private readonly plugins: PreparedPlugin[];
  constructor(classes: Map<string, ConcretePluginClass>, setups: PluginSetup[]) {
    this.plugins = preparePlugins((t) => classes.get(t)!, setups);
  }
  run(task: SegmentTask): Promise<PluginInputs> {
    return computeSegment(this.plugins, task);
  }
  compress(task: CompressTask): Promise<Uint8Array> {
    return compressParts(task, INLINE_ZSTD_THREADS);
  }
  async close(): Promise<void> {}
}

/** An error as it crosses from a worker thread (DataCorruptedError keeps its class, so its exit code). */
export interface WireError {
  message: string;
  stack?: string;
  name?: string;
  file?: string;
}

export function fromWire(e: WireError): Error {
  if (e.name === 'DataCorruptedError' && e.file && e.message.startsWith(`${e.file}: `)) return new DataCorruptedError(e.file, e.message.slice(e.file.length + 2));
  return Object.assign(new Error(e.message), { stack: e.stack });
}

/**
 * The views to post to another thread, their buffers added to `transfer`. A handed-over view that owns its whole
 * buffer is moved (its buffer is detached on this side); a view of shared memory is posted as it is (both threads
 * then see the same rows: stored inputs decoded for the workers, see sharedWithHeadroom); any other view is copied, so
 * a view the caller still holds (or another view on the same buffer) never ends up on a detached buffer.
 */
export function ownBuffers<T extends Record<string, Uint8Array> | Uint8Array[]>(views: T, transfer: ArrayBuffer[], handOver: boolean | ((key: string) => boolean) = true): T {
  const out = (Array.isArray(views) ? [] : {}) as Record<string, Uint8Array>;
  for (const [k, v] of Object.entries(views)) {
    if (v.buffer instanceof SharedArrayBuffer) {
      out[k] = v;
      continue;
    }
    const mine = typeof handOver === 'function' ? handOver(k) : handOver;
    const whole = v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && !transfer.includes(v.buffer as ArrayBuffer);
    // Not v.slice(): on a Node Buffer (zstd's output, file reads) slice() is a view on the same memory, not a copy.
    const own = mine && whole ? v : new Uint8Array(v);
    out[k] = own;
    if (own.byteLength > 0) transfer.push(own.buffer as ArrayBuffer);
  }
  return out as T;
}

interface Job {
  msg: { kind: 'segment'; task: SegmentTask } | { kind: 'compress'; task: CompressTask };
  transfer: ArrayBuffer[];
  resolve: (v: never) => void;
  reject: (e: unknown) => void;
}

/** The message for a worker, made when the task is submitted: what is not handed over is copied now, as it is now. */
function message(job: { kind: 'segment'; task: SegmentTask } | { kind: 'compress'; task: CompressTask }): Pick<Job, 'msg' | 'transfer'> {
  const transfer: ArrayBuffer[] = [];
  if (job.kind === 'compress') {
    return { msg: { kind: 'compress', task: { ...job.task, parts: ownBuffers(job.task.parts, transfer, job.task.handOver === true) } }, transfer };
  }
  const t = job.task;
  const handOver = new Set(t.handOver ?? []);
  const inputs = ownBuffers(t.inputs, transfer, (k) => handOver.has(k));
  const live = t.live ? { ...t.live, frame: ownBuffers([t.live.frame], transfer)[0]! } : undefined;
  return { msg: { kind: 'segment', task: { ...t, inputs, live, handOver: undefined } }, transfer };
}

/**
 * A pool of worker threads running the reference plugins (src/strax/engine/worker.ts). Compression jobs go before
 * segment jobs: they finish products (freeing memory) and unblock the writer.
 */
export class WorkerExecutor implements Executor {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly segments: Job[] = [];
  private readonly compressions: Job[] = [];
  private readonly busy = new Map<Worker, Job>();
  private failed: unknown;

  /** `pluginModules`: user plugin modules (absolute paths) each worker loads besides the reference plugins. */
  constructor(n: number, setups: PluginSetup[], pluginModules: readonly string[] = []) {
    for (let i = 0; i < n; i++) {
      // The rows live in ArrayBuffers outside the JS heap; a small young generation keeps each isolate ~30 MB lighter.
      const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: { setups, pluginModules }, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
      w.on('message', (msg: { ok: boolean; result?: unknown; error?: WireError }) => {
        const job = this.busy.get(w)!;
        this.busy.delete(w);
        if (msg.ok) job.resolve(msg.result as never);
        else job.reject(fromWire(msg.error!));
        this.idle.push(w);
        this.pump();
      });
      w.on('error', (error) => {
        this.failed = error;
        const job = this.busy.get(w);
        this.busy.delete(w);
        job?.reject(new InternalError(`processing worker died: ${error.message}`, { cause: error }));
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  private submit<T>(msg: Job['msg'], queue: Job[]): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    const posted = message(msg);
    return new Promise<T>((resolve, reject) => {
      queue.push({ ...posted, resolve: resolve as (v: never) => void, reject });
      this.pump();
    });
  }

  run(task: SegmentTask): Promise<PluginInputs> {
    return this.submit({ kind: 'segment', task }, this.segments);
  }

  compress(task: CompressTask): Promise<Uint8Array> {
    return this.submit({ kind: 'compress', task }, this.compressions);
  }

  private pump(): void {
    while (this.idle.length > 0 && (this.compressions.length > 0 || this.segments.length > 0)) {
      const w = this.idle.pop()!;
      const job = (this.compressions.length > 0 ? this.compressions : this.segments).shift()!;
      // The products' last chunks are compressed when the run has nothing left to compute: one large frame (the hits
      // of a whole run) would otherwise keep one core busy while the others wait. zstd's threads then share the cores.
      if (CORES > 1 && job.msg.kind === 'compress' && this.segments.length === 0 && ![...this.busy.values()].some((j) => j.msg.kind === 'segment')) {
        job.msg.task.zstdThreads = Math.max(2, Math.ceil(CORES / (this.busy.size + 1 + this.compressions.length)));
      }
      this.busy.set(w, job);
      w.postMessage(job.msg, job.transfer);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
