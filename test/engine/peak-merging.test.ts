// Peaks: neighbouring non-S1 peaklets merged and re-summed from their hits' hitlets; single peaklets copied unchanged.
import { beforeAll, describe, expect, it } from 'vitest';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { peakDtype } from '../../src/strax/dtype/standard.js';
import { makeTmpDir } from '../support/tmp.js';
import { makeLiveRun, processLive, rowsOf } from './helpers.js';

const PEAKS = peakDtype({ nChannels: 494 });

describe('peak merging', () => {
  let peaklets: RecordView;
  let peaks: RecordView;
  beforeAll(async () => {
    // 30 interactions/s make a short run: 0.1 s DAQ chunks so it spans several (a run shorter than one chunk has no data).
    const live = await makeLiveRun({ sizeMb: 6, rateHz: 30, seed: 21, daq: { daqChunkS: 0.1, daqOverlapS: 0.01 } });
    const storage = makeTmpDir();
    // A 3 ms merge gap joins S2s with the small (dark-count coincidence) peaklets that follow them within ms.
    await processLive(live, storage, ['peaks', 'peaklets'], { options: { s2_merge_gap_threshold: 3_000_000, s2_merge_max_duration: 10_000_000 } });
    peaklets = new RecordView(PEAKS, await rowsOf(storage, 'peaklets'));
    peaks = new RecordView(PEAKS, await rowsOf(storage, 'peaks'));
  });

  it('merges some peaklets, keeps the others byte for byte, and keeps the area of merged S2 groups within 10 %', () => {
    expect(peaks.length).toBeLessThan(peaklets.length);
    let k = 0;
    let merged = 0;
    let mergedS2s = 0;
    for (let i = 0; i < peaks.length; i++) {
      const start = peaks.time(i);
      // A merged peak's stored end can fall before its last peaklet's (down-sampling drops the tail): group by starts.
      const next = i + 1 < peaks.length ? peaks.time(i + 1) : undefined;
      const members: number[] = [];
      while (k < peaklets.length && (next === undefined || peaklets.time(k) < next)) members.push(k++);
      expect(members.length, `peak ${i}`).toBeGreaterThan(0);
      expect(peaklets.time(members[0]!)).toBe(start);
      if (members.length === 1) {
        const o = members[0]! * PEAKS.itemsize;
        expect(Buffer.compare(Buffer.from(peaklets.bytes.subarray(o, o + PEAKS.itemsize)), Buffer.from(peaks.bytes.subarray(i * PEAKS.itemsize, (i + 1) * PEAKS.itemsize)))).toBe(0);
        continue;
      }
      merged++;
      // The merged peak also sums the hits between its peaklets (dark counts: ~1 PE each), so only large groups are
      // compared closely; none loses area.
      const sum = members.reduce((a, m) => a + Number(peaklets.get(m, 'area')), 0);
      const area = Number(peaks.get(i, 'area'));
      expect(area / sum, `peak ${i}`).toBeGreaterThan(0.9);
      if (sum > 1000) {
        expect(Math.abs(area / sum - 1), `peak ${i}`).toBeLessThan(0.1);
        mergedS2s++;
      }
      expect(Number(peaks.get(i, 'n_hits'))).toBeGreaterThan(0);
      expect(Number(peaks.get(i, 'type'))).not.toBe(1);
    }
    expect(merged).toBeGreaterThan(0);
    expect(mergedS2s).toBeGreaterThan(0);
    expect(k).toBe(peaklets.length);
  });
});
