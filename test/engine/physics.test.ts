// Physics sanity of the reference chain against fake-daq's truth file.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { EVENT_INFO } from '../../src/strax/plugins/event_info.js';
import { PEAK_BASICS } from '../../src/strax/plugins/peak_basics.js';
import { makeTmpDir } from '../support/tmp.js';
import { RUN, makeLiveRun, processLive, rowsOf } from './helpers.js';

interface Truth {
  interactions: Array<{ s1_time: string; s2_time: string; drift_ns: number; s2_area: number; energy_kev: number }>;
}

describe('reference chain physics', () => {
  let truth: Truth;
  let storage: string;
  beforeAll(async () => {
    const live = await makeLiveRun({ sizeMb: 12, rateHz: 8, seed: 11 });
    truth = JSON.parse(fs.readFileSync(path.join(live, RUN, 'truth.json'), 'utf8')) as Truth;
    storage = makeTmpDir();
    await processLive(live, storage, ['event_info', 'peak_basics']);
  });

  it('finds at least 95 % of injected S2s as S2 peaks with area within 10 %', async () => {
    const pb = new RecordView(PEAK_BASICS, await rowsOf(storage, 'peak_basics'));
    const s2s = Array.from({ length: pb.length }, (_, i) => i).filter((i) => pb.get(i, 'type') === 2);
    const injected = truth.interactions.filter((t) => t.s2_area > 100);
    expect(injected.length).toBeGreaterThanOrEqual(15);
    let good = 0;
    for (const t of injected) {
      const at = BigInt(t.s2_time);
      const hit = s2s.find((i) => pb.time(i) <= at && (pb.get(i, 'endtime') as bigint) >= at);
      if (hit !== undefined && Math.abs(Number(pb.get(hit, 'area')) - t.s2_area) / t.s2_area < 0.1) good++;
    }
    expect(good / injected.length).toBeGreaterThanOrEqual(0.95);
  });

  it('builds as many events as injected interactions (within 5 %) with drift times within 1 µs', async () => {
    const ev = new RecordView(EVENT_INFO, await rowsOf(storage, 'event_info'));
    expect(Math.abs(ev.length - truth.interactions.length)).toBeLessThanOrEqual(Math.ceil(0.05 * truth.interactions.length));
    let matched = 0;
    for (const t of truth.interactions) {
      const at = BigInt(t.s2_time);
      const k = Array.from({ length: ev.length }, (_, i) => i).find((i) => ev.time(i) <= at && (ev.get(i, 'endtime') as bigint) > at);
      if (k === undefined) continue;
      if (Math.abs(Number(ev.get(k, 'drift_time')) - t.drift_ns) < 1000) matched++;
    }
    expect(matched / truth.interactions.length).toBeGreaterThanOrEqual(0.95);
  });

  it('reconstructs the energy of single-interaction events within 15 % on average', async () => {
    const ev = new RecordView(EVENT_INFO, await rowsOf(storage, 'event_info'));
    const rel: number[] = [];
    for (const t of truth.interactions) {
      const at = BigInt(t.s2_time);
      const k = Array.from({ length: ev.length }, (_, i) => i).find((i) => ev.time(i) <= at && (ev.get(i, 'endtime') as bigint) > at);
      if (k !== undefined) rel.push(Number(ev.get(k, 'e_ces')) / t.energy_kev - 1);
    }
    const mean = rel.reduce((a, b) => a + b, 0) / rel.length;
    expect(Math.abs(mean)).toBeLessThan(0.15);
  });
});
