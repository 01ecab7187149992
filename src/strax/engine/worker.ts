// Worker-thread entry: builds the reference plugins (and the user plugin modules) once, then computes segments and compresses chunks for the WorkerExecutor.
import { parentPort, workerData } from 'node:worker_threads';
import { compressParts, computeSegment, ownBuffers, preparePlugins, type CompressTask, type PluginSetup, type SegmentTask, type WireError } from './executor.js';

import { registryWithPlugins } from './user-plugins.js';

const data = workerData as { setups: PluginSetup[]; pluginModules?: string[] };
const registry = await registryWithPlugins(data.pluginModules ?? []);
const plugins = preparePlugins((t) => registry.get(t), data.setups);

type Message = { kind: 'segment'; task: SegmentTask } | { kind: 'compress'; task: CompressTask };

parentPort!.on('message', async (msg: Message) => {
  try {
    const transfer: ArrayBuffer[] = [];
    if (msg.kind === 'compress') {
      const frame = ownBuffers([await compressParts(msg.task, msg.task.zstdThreads ?? 0)], transfer)[0]!;
      parentPort!.postMessage({ ok: true, result: frame }, transfer);
    } else {
      const outputs = ownBuffers(await computeSegment(plugins, msg.task), transfer);
      parentPort!.postMessage({ ok: true, result: outputs }, transfer);
    }
  } catch (error) {
    const e = error as Error & { file?: string };
    const wire: WireError = { message: e.message, stack: e.stack, name: e.name, file: typeof e.file === 'string' ? e.file : undefined };
    parentPort!.postMessage({ ok: false, error: wire });
  }
});
