// Where a run's processing segments come from: the DAQ's chunk folders (DAQReader's rules, followed while the run
// is written), a daqflow-live/1 index, or the segment plan of the stored inputs.
import fs from 'node:fs';
import YAML from 'yaml';
import { ConfigError, DataNotAvailableError } from '../../errors.js';
import type { StoredDataset } from '../storage/dataset.js';
import { XENONNT_CHANNEL_MAP, channelRanges, outputTypes, readDaqSettings } from './daq-live.js';
import { DaqRun, readyChunks } from './daq-reader.js';
import { liveIndexPath, liveRunDir, readLiveFrame, readLiveIndex, type LiveFrame } from './live-data.js';
import type { ProcessOptions } from './context.js';
import type { PluginInputs } from './plugin.js';
import type { ResolvedPlugin } from './resolve.js';
import { SEGMENTS_KEY, segmentsFromPyJson, type Segment } from './segments.js';

/** One segment to compute: its range, and its live data (a still-compressed daqflow-live/1 frame or DAQ rows by type). */
export interface SegmentInput {
  seg: Segment;
  live?: LiveFrame;
  inputs: PluginInputs;
  nbytes: number;
}

export interface SegmentSource {
  /** The plan when known up front (stored inputs, daqflow-live/1); DAQ live data is discovered chunk by chunk. */
  planned: Segment[];
  expected(): number;
  segments: AsyncIterable<SegmentInput>;
}

/** Where the run's segments come from: the DAQ's chunk folders, a daqflow-live/1 index, or the stored inputs' plan. */
export async function segmentSource(o: ProcessOptions, order: ResolvedPlugin[], stored: Map<string, StoredDataset>, load: string[]): Promise<SegmentSource> {
  const liveTypes = order.filter((r) => r.cls.source === 'live').map((r) => r.dataType);
  if (liveTypes.length === 0) {
    const first = stored.get(load[0]!)!;
    const planned = segmentsFromPyJson(first.metadata!.extra[SEGMENTS_KEY]) ?? first.metadata!.chunks.map((c) => ({ start: c.start, end: c.end }));
    return { planned, expected: () => planned.length, segments: (async function* () { for (const seg of planned) yield { seg, inputs: {}, nbytes: 0 }; })() };
  }
  if (fs.existsSync(liveIndexPath(o.liveDir, o.runId))) {
    const index = readLiveIndex(o.liveDir, o.runId);
    const planned = index.chunks.map((c) => ({ start: BigInt(c.start), end: BigInt(c.end) }));
    const segments = (async function* () {
      for (let i = 0; i < planned.length; i++) {
        const live = await readLiveFrame(o.liveDir, index, i);
        yield { seg: planned[i]!, live, inputs: {}, nbytes: live.nbytes };
      }
    })();
    return { planned, expected: () => planned.length, segments };
  }
  const runDir = liveRunDir(o.liveDir, o.runId);
  if (!fs.existsSync(runDir)) throw new DataNotAvailableError(`run ${o.runId}`, `no live data at ${runDir}; check the run number and --live`, { run: o.runId, file: runDir });
  const ranges = channelRanges(o.channelMap ?? XENONNT_CHANNEL_MAP);
  const provided = outputTypes(ranges);
  for (const t of liveTypes) {
    if (!provided.includes(t)) throw new ConfigError(`${t} needs its subdetector in live.channel_map (the map provides ${provided.join(', ')})`, { context: { option: 'live.channel_map' } });
  }
  const run = new DaqRun(runDir, await readDaqSettings(runDir, ranges, (text) => YAML.parse(text, { logLevel: 'error' }), o.runDoc));
  const segments = (async function* () {
    const follow = { follow: o.follow !== undefined, pollMs: o.follow?.pollMs ?? 2000, timeoutMs: o.follow?.timeoutMs ?? 300_000, signal: o.signal, runId: o.runId };
    for await (const i of readyChunks(run, follow)) {
      const chunk = await run.load(i);
      const inputs: PluginInputs = {};
      for (const t of liveTypes) inputs[`live:${t}`] = chunk.outputs[t] ?? new Uint8Array(0);
      yield { seg: { start: chunk.start, end: chunk.end }, inputs, nbytes: chunk.nbytes };
    }
  })();
  const expected = () => {
    try {
      return fs.readdirSync(runDir).filter((n) => /^\d{6}$/.test(n)).length;
    } catch {
      return 0;
    }
  };
  return { planned: [], expected, segments };
}
