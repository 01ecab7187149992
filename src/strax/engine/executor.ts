// Runs a segment's plugin computations: inline (1 worker) or on a pool of worker_threads (N workers), results in order.
import { Worker } from 'node:worker_threads';
import { InternalError } from '../../errors.js';
import { instantiate, type ChunkRange, type ConcretePluginClass, type Plugin, type PluginConfig, type PluginInputs } from './plugin.js';

export interface PluginSetup {
  dataType: string;
  config: PluginConfig;
}

export interface SegmentTask {
  range: ChunkRange;
  inputs: PluginInputs;
}

export interface Executor {
  run(task: SegmentTask): Promise<PluginInputs>;
  close(): Promise<void>;
}

/** Compute `order` (dependencies first) for one segment; returns every computed type's rows. */
export function computeSegment(plugins: Array<{ dataType: string; plugin: Plugin; deps: readonly string[] }>, task: SegmentTask): PluginInputs {
  const have: PluginInputs = { ...task.inputs };
  const out: PluginInputs = {};
  for (const { dataType, plugin, deps } of plugins) {
    const inputs: PluginInputs = {};
    for (const d of deps) inputs[d] = have[d]!;
    if (deps.length === 0) inputs.live = have.live!;
    const rows = plugin.compute(inputs, task.range);
    have[dataType] = rows;
    out[dataType] = rows;
  }
  return out;
}

export class InlineExecutor implements Executor {
  private readonly plugins: Array<{ dataType: string; plugin: Plugin; deps: readonly string[] }>;
  constructor(classes: Map<string, ConcretePluginClass>, setups: PluginSetup[]) {
    this.plugins = setups.map((s) => {
      const cls = classes.get(s.dataType)!;
      return { dataType: s.dataType, plugin: instantiate(cls, s.config), deps: cls.dependsOn };
    });
  }
  async run(task: SegmentTask): Promise<PluginInputs> {
    return computeSegment(this.plugins, task);
  }
  async close(): Promise<void> {}
}

interface Pending {
  resolve: (v: PluginInputs) => void;
  reject: (e: unknown) => void;
}

/** A pool of worker threads running the reference plugins (src/strax/engine/worker.ts). */
export class WorkerExecutor implements Executor {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Array<{ task: SegmentTask; p: Pending }> = [];
  private readonly busy = new Map<Worker, Pending>();
  private failed: unknown;

  constructor(n: number, setups: PluginSetup[]) {
    for (let i = 0; i < n; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: { setups } });
      w.on('message', (msg: { ok: boolean; outputs?: PluginInputs; error?: { message: string; stack?: string; name?: string } }) => {
        const p = this.busy.get(w)!;
        this.busy.delete(w);
        if (msg.ok) p.resolve(msg.outputs!);
        else p.reject(Object.assign(new Error(msg.error!.message), { stack: msg.error!.stack }));
        this.idle.push(w);
        this.pump();
      });
      w.on('error', (error) => {
        this.failed = error;
        const p = this.busy.get(w);
        this.busy.delete(w);
        p?.reject(new InternalError(`processing worker died: ${error.message}`, { cause: error }));
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  run(task: SegmentTask): Promise<PluginInputs> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.queue.push({ task, p: { resolve, reject } });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const { task, p } = this.queue.shift()!;
      this.busy.set(w, p);
      const transfer: ArrayBuffer[] = [];
      const inputs: PluginInputs = {};
      for (const [k, v] of Object.entries(task.inputs)) {
        const own = v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && !transfer.includes(v.buffer as ArrayBuffer) ? v : v.slice();
        inputs[k] = own;
        transfer.push(own.buffer as ArrayBuffer);
      }
      w.postMessage({ range: task.range, inputs }, transfer);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
