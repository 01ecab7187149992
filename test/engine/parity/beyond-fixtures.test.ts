// What the parity fixtures do not cover: sum_waveform's saturation flags (a record whose largest sample reaches
// int16(baseline) marks its channel, counted in n_saturated_channels) and a hit channel beyond the peaks' channels.
import { describe, expect, it } from 'vitest';
import { RecordView } from '../../../src/strax/dtype/rows.js';
import { peakDtype, recordDtype } from '../../../src/strax/dtype/standard.js';
import { TimeBase } from '../../../src/strax/plugins/kernels/fields.js';
import { HIT, HitBuffer, findHits } from '../../../src/strax/plugins/kernels/find-hits.js';
import { sortHitsByTime } from '../../../src/strax/plugins/kernels/hit-order.js';
import { findPeaks } from '../../../src/strax/plugins/kernels/find-peaks.js';
import { recordLinks } from '../../../src/strax/plugins/kernels/record-links.js';
import { sumWaveform } from '../../../src/strax/plugins/kernels/sum-waveform.js';

const REC = recordDtype(110);
const T0 = 1_712_345_678_901_234_560n;

/** One 20-sample record per channel at T0 with a pulse of `peak` ADC at samples 5–7 over the given baseline. */
function records(pulses: Array<{ channel: number; peak: number; baseline: number }>): Uint8Array {
  const rows = new RecordView(REC, new Uint8Array(pulses.length * REC.itemsize));
  pulses.forEach((p, i) => {
    rows.set(i, 'time', T0);
    rows.set(i, 'length', 20);
    rows.set(i, 'dt', 10);
    rows.set(i, 'channel', p.channel);
    rows.set(i, 'pulse_length', 20);
    rows.set(i, 'baseline', p.baseline);
    for (const j of [5, 6, 7]) rows.set(i, 'data', p.peak, j);
  });
  return rows.bytes;
}

function saturation(pulses: Array<{ channel: number; peak: number; baseline: number }>): { perChannel: number[]; n: number } {
  const recs = records(pulses);
  const base = TimeBase.floor(T0, 10);
  const buf = new HitBuffer();
  const nh = findHits(recs, REC, 15, base, buf);
  const hits = sortHitsByTime(new Uint8Array(buf.words.buffer, 0, nh * HIT.itemsize), base);
  const layout = peakDtype({ nChannels: 4 });
  const toPe = new Float64Array(4).fill(0.01);
  const peaks = findPeaks(hits, layout, base, { toPe, gapThreshold: 700, leftExtension: 30, rightExtension: 200, minArea: 0, minChannels: 2, maxDuration: 1e7 });
  sumWaveform(peaks, layout, hits, recs, REC, base, { toPe, links: recordLinks(recs, REC, base) });
  const view = new RecordView(layout, peaks);
  expect(view.length).toBe(1);
  return { perChannel: view.values(0, 'saturated_channel').map(Number), n: Number(view.get(0, 'n_saturated_channels')) };
}

describe('kernels where the parity fixtures do not reach', () => {
  it('flags a channel whose record reaches int16(baseline), not one that stays below it', () => {
    // Channel 1: baseline 100.7 → int16 100; a sample of 100 saturates. Channel 2: 99 stays below.
    expect(saturation([{ channel: 1, peak: 100, baseline: 100.7 }, { channel: 2, peak: 99, baseline: 100.7 }])).toEqual({ perChannel: [0, 1, 0, 0], n: 1 });
    expect(saturation([{ channel: 1, peak: 50, baseline: 16000.5 }, { channel: 3, peak: 60, baseline: 16000.5 }])).toEqual({ perChannel: [0, 0, 0, 0], n: 0 });
  });

  it('refuses a hit in a channel the peaks have no room for (strax asserts the same), naming it', () => {
    expect(() => saturation([{ channel: 1, peak: 50, baseline: 100.5 }, { channel: 6, peak: 50, baseline: 100.5 }])).toThrow(/channel 6.*4 channels/);
  });
});
