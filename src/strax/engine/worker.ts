// Worker-thread entry: builds the reference plugins once, then computes segments posted by the WorkerExecutor.
import { parentPort, workerData } from 'node:worker_threads';
import { defaultRegistry } from '../plugins/index.js';
import { computeSegment, type PluginSetup, type SegmentTask } from './executor.js';
import { instantiate } from './plugin.js';

const registry = defaultRegistry();
const plugins = (workerData as { setups: PluginSetup[] }).setups.map((s) => {
  const cls = registry.get(s.dataType);
  return { dataType: s.dataType, plugin: instantiate(cls, s.config), deps: cls.dependsOn };
});

parentPort!.on('message', (task: SegmentTask) => {
  try {
    const outputs = computeSegment(plugins, task);
    const transfer: ArrayBuffer[] = [];
    for (const [k, v] of Object.entries(outputs)) {
      if (v.byteOffset !== 0 || v.byteLength !== v.buffer.byteLength || transfer.includes(v.buffer as ArrayBuffer)) outputs[k] = v.slice();
      transfer.push(outputs[k]!.buffer as ArrayBuffer);
    }
    parentPort!.postMessage({ ok: true, outputs }, transfer);
  } catch (error) {
    const e = error as Error;
    parentPort!.postMessage({ ok: false, error: { message: e.message, stack: e.stack, name: e.name } });
  }
});
