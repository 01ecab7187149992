// No quiet-boundary assumption: interactions that cross DAQ chunk boundaries, and a dense overlap window (artificial
// deadtime on both sides), give the same products as the same raw_records processed as one segment.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { layoutOf, readChunks } from '../../src/strax/storage/chunk-reader.js';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { hitDtype, rawRecordDtype } from '../../src/strax/dtype/standard.js';
import { compressFrameSync } from 'lz4-napi';
import { DAQ_RECORD, decodeDaqFile } from '../../src/strax/engine/daq-live.js';
import { resolvePlugins } from '../../src/strax/engine/resolve.js';
import { SEGMENTS_KEY, segmentsFromPyJson, type Segment } from '../../src/strax/engine/segments.js';
import { defaultRegistry } from '../../src/strax/plugins/index.js';
import { EVENTS } from '../../src/strax/plugins/events.js';
import type { PyJson } from '../../src/strax/json/values.js';
import { makeTmpDir } from '../support/tmp.js';
import { RUN, makeLiveRun, processLive, rowsOf } from './helpers.js';

/** Short DAQ chunks: a run of a few MB spans several. */
const DAQ = { daqChunkS: 0.2, daqOverlapS: 0.02 };
const COMPARED = ['records', 'hits', 'peaklets', 'peaks', 'peak_basics', 'events', 'event_basics', 'event_info'];

/** The run's raw_records stored as ONE chunk without a segment plan: processing it is a single-segment run. */
async function singleSegmentRawRecords(from: string, to: string): Promise<void> {
  const ds = new DataDirectory(from).find(RUN, 'raw_records');
  const parts: Uint8Array[] = [];
  for await (const c of readChunks(ds)) parts.push(c.data);
  const [r] = resolvePlugins(defaultRegistry(), ['raw_records'], {});
  const saver = await new DataDirectory(to).save({
    runId: RUN, dataType: 'raw_records', dtype: rawRecordDtype(), lineage: r!.lineage as PyJson, lineageHash: r!.lineageHash, compressor: 'zstd',
  });
  await saver.save({ start: ds.metadata!.start!, end: ds.metadata!.end!, data: Buffer.concat(parts) });
  await saver.close();
}

async function processBothWays(live: string): Promise<{ multi: string; single: string; segments: Segment[] }> {
  const multi = makeTmpDir();
  await processLive(live, multi, ['event_info', 'raw_records', 'raw_records_aqmon'], { save: ['records'] });
  const single = makeTmpDir();
  await singleSegmentRawRecords(multi, single);
  const s = await processLive(live, single, ['event_info'], { save: ['records'] });
  expect(s.segments).toBe(1);
  expect(s.loaded).toEqual(['raw_records']);
  const segments = segmentsFromPyJson(new DataDirectory(multi).find(RUN, 'hits').metadata!.extra[SEGMENTS_KEY])!;
  return { multi, single, segments };
}

/** hits.record_i indexes the records of one compute call (strax: "internal (temporary) index"): it depends on segments. */
function withoutRecordIndex(type: string, rows: Buffer): Buffer {
  if (type !== 'hits') return rows;
  const f = hitDtype().field('record_i');
  for (let o = f.offset; o < rows.length; o += hitDtype().itemsize) rows.writeInt32LE(0, o);
  return rows;
}

async function expectSameProducts(multi: string, single: string): Promise<void> {
  for (const t of COMPARED) {
    const a = withoutRecordIndex(t, Buffer.from(await rowsOf(multi, t)));
    const b = withoutRecordIndex(t, Buffer.from(await rowsOf(single, t)));
    expect(a.length, t).toBeGreaterThan(0);
    expect(Buffer.compare(a, b), `${t} differs from the single-segment reference`).toBe(0);
  }
}

/** How many rows of `type` straddle a segment boundary (start before it, end after it). */
async function straddling(storage: string, type: string, segments: Segment[]): Promise<number> {
  const v = new RecordView(layoutOf(new DataDirectory(storage).find(RUN, type)), await rowsOf(storage, type));
  let n = 0;
  for (let i = 0; i < v.length; i++) if (segments.some((s) => v.time(i) < s.end && v.endtime(i) > s.end)) n++;
  return n;
}

describe('segment boundaries', () => {
  let crossing: { multi: string; single: string; segments: Segment[] };
  beforeAll(async () => {
    const live = await makeLiveRun({ sizeMb: 10, rateHz: 20, seed: 21, chunkMb: 1, crossBoundaries: true, daq: DAQ });
    crossing = await processBothWays(live);
  }, 120_000);

  it('runs interactions deliberately across DAQ chunk starts: events straddle segment boundaries', async () => {
    expect(crossing.segments.length).toBeGreaterThanOrEqual(4);
    expect(await straddling(crossing.multi, 'events', crossing.segments)).toBeGreaterThanOrEqual(2);
  });

  it('gives byte-identical records … event_info to the single-segment reference', async () => {
    await expectSameProducts(crossing.multi, crossing.single);
  });

  it('keeps event_number running over the run and the products contiguous over the segment boundaries', async () => {
    const ev = new RecordView(EVENTS, await rowsOf(crossing.multi, 'events'));
    expect(Array.from({ length: ev.length }, (_, i) => ev.get(i, 'event_number'))).toEqual(Array.from({ length: ev.length }, (_, i) => BigInt(i)));
    const ds = new DataDirectory(crossing.multi).find(RUN, 'events');
    expect(ds.metadata!.start).toBe(crossing.segments[0]!.start);
    expect(ds.metadata!.end).toBe(crossing.segments[crossing.segments.length - 1]!.end);
  });

  it('gives the single-segment result when an overlap window is dense (artificial deadtime on both sides of the break)', async () => {
    const live = await makeLiveRun({ sizeMb: 6, rateHz: 20, seed: 22, chunkMb: 1, crossBoundaries: true, daq: DAQ });
    // A channel firing without pause through chunk 1's overlap window (a flashing PMT): no 1 µs gap is left there.
    const runDir = path.join(live, RUN);
    const L = DAQ.daqChunkS * 1e9;
    const F = L + DAQ.daqOverlapS * 1e9;
    const file = `${fs.readdirSync(path.join(runDir, '000001_post')).sort()[0]}`;
    const original = path.join(runDir, '000001_post', file);
    const old = await decodeDaqFile(original, fs.readFileSync(original), 'lz4');
    const burst = new Uint8Array(Math.floor((F - L) / 1000) * DAQ_RECORD.itemsize);
    const v = new DataView(burst.buffer);
    for (let k = 0; k * DAQ_RECORD.itemsize < burst.length; k++) {
      const o = k * DAQ_RECORD.itemsize;
      v.setBigInt64(o, BigInt(F + L + k * 1000), true);
      v.setInt32(o + 8, 110, true);
      v.setInt16(o + 12, 10, true);
      v.setInt16(o + 14, 4, true); // channel 4 (thread 0 of 4)
      v.setInt32(o + 16, 110, true);
      for (let j = 0; j < 110; j++) v.setInt16(o + 24 + 2 * j, 16000, true);
    }
    const dense = compressFrameSync(Buffer.concat([old, burst]));
    fs.writeFileSync(original, dense);
    fs.writeFileSync(path.join(runDir, '000002_pre', file), dense);
    const both = await processBothWays(live);
    const aq = new RecordView(DAQ_RECORD, await rowsOf(both.multi, 'raw_records_aqmon'));
    const t0 = both.segments[0]!.start;
    const brk = t0 + BigInt(2 * F - 1000);
    expect(Array.from({ length: aq.length }, (_, i) => [aq.time(i), aq.get(i, 'channel'), aq.get(i, 'length')])).toEqual([[brk - 1100n, 799, 110], [brk, 799, 100]]);
    expect(both.segments[1]!.end).toBe(brk);
    expect(both.segments[2]!.start).toBe(brk);
    await expectSameProducts(both.multi, both.single);
  }, 120_000);
});
