// The overlap stage carries hits and records from segment to segment; hits.record_i indexes the records of one
// compute call, so the stage re-bases it as records are joined and dropped. A windowed plugin that looks each hit's
// record up by record_i must find the record the hit was found in, in every segment, however the run is cut.
import { beforeAll, describe, expect, it } from 'vitest';
import { makeLayout } from '../../src/strax/dtype/layout.js';
import { recordDtype } from '../../src/strax/dtype/standard.js';
import { Plugin, type ChunkRange, type PluginInputs } from '../../src/strax/engine/plugin.js';
import { HIT, HIT_AT } from '../../src/strax/plugins/kernels/find-hits.js';
import { defaultRegistry } from '../../src/strax/plugins/index.js';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { makeTmpDir } from '../support/tmp.js';
import { RUN, makeLiveRun, processLive, rowsOf } from './helpers.js';

const REC = recordDtype(110);
const CHECKED = makeLayout([
  { title: 'Start time of the hit', name: 'time', typestr: '<i8' },
  { title: 'End time of the hit', name: 'endtime', typestr: '<i8' },
  { title: '1 when hits.record_i names the record the hit lies in', name: 'found', typestr: '|i1' },
]);

/** One row per hit: whether records[record_i] has the hit's channel and holds the hit's first sample at `left`. */
class HitRecords extends Plugin {
  static override provides = 'hit_records';
  static override dependsOn = ['records', 'hits'];
  static override dtype = CHECKED;
  static override version = '0.1.0';
  static override overlapWindow = () => 300_000;

  compute(inputs: PluginInputs, _range: ChunkRange): Uint8Array {
    const [records, hits] = [inputs.records!, inputs.hits!];
    const rv = new DataView(records.buffer, records.byteOffset, records.byteLength);
    const hv = new DataView(hits.buffer, hits.byteOffset, hits.byteLength);
    const n = hits.length / HIT.itemsize;
    const out = new Uint8Array(n * CHECKED.itemsize);
    const ov = new DataView(out.buffer);
    const at = { time: REC.field('time').offset, dt: REC.field('dt').offset, channel: REC.field('channel').offset };
    for (let i = 0; i < n; i++) {
      const h = i * HIT.itemsize;
      const time = hv.getBigInt64(h + HIT_AT.time, true);
      const dt = BigInt(hv.getInt16(h + HIT_AT.dt, true));
      const r = hv.getInt32(h + HIT_AT.record_i, true);
      const o = r * REC.itemsize;
      const found =
        r >= 0 && r < records.length / REC.itemsize &&
        rv.getInt16(o + at.channel, true) === hv.getInt16(h + HIT_AT.channel, true) &&
        rv.getBigInt64(o + at.time, true) + BigInt(hv.getInt16(h + HIT_AT.left, true)) * BigInt(rv.getInt16(o + at.dt, true)) === time;
      ov.setBigInt64(i * CHECKED.itemsize, time, true);
      ov.setBigInt64(i * CHECKED.itemsize + 8, time + BigInt(hv.getInt32(h + HIT_AT.length, true)) * dt, true);
      ov.setInt8(i * CHECKED.itemsize + 16, found ? 1 : 0);
    }
    return out;
  }
}

describe('the overlap stage’s carried hits', () => {
  let live: string;
  beforeAll(async () => {
    live = await makeLiveRun({ sizeMb: 6, chunkMb: 1, crossBoundaries: true });
  }, 120_000);

  it('name their own records by record_i in every segment (the stage re-bases record_i as it joins and drops records)', async () => {
    const store = makeTmpDir();
    await processLive(live, store, ['hit_records', 'hits'], { registry: defaultRegistry().register(HitRecords) });
    const segments = (new DataDirectory(store).find(RUN, 'hits').metadata!.extra.daqflow_segments as unknown[] | undefined) ?? [];
    expect(segments.length).toBeGreaterThan(2); // several segments, so records were carried and joined
    const rows = await rowsOf(store, 'hit_records');
    const hits = await rowsOf(store, 'hits');
    expect(rows.length / CHECKED.itemsize).toBe(hits.length / HIT.itemsize);
    const v = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
    let lost = 0;
    for (let o = 16; o < rows.length; o += CHECKED.itemsize) if (v.getInt8(o) !== 1) lost++;
    expect(lost).toBe(0);
  }, 120_000);
});
