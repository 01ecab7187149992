// A user plugin module as an experiment would write one (plain JavaScript, importing daqflow's built engine):
// per-channel hit counts of each chunk, from the reference `hits`.
import { Plugin } from '../../../dist/strax/engine/plugin.js';
import { defineOptions } from '../../../dist/strax/engine/options.js';
import { makeLayout } from '../../../dist/strax/dtype/layout.js';

const HITS = makeLayout([
  { name: 'time', typestr: '<i8' }, { name: 'length', typestr: '<i4' }, { name: 'dt', typestr: '<i2' }, { name: 'channel', typestr: '<i2' },
]);
const COUNTS = makeLayout([
  { title: 'Start time of the chunk', name: 'time', typestr: '<i8' },
  { title: 'End time of the chunk', name: 'endtime', typestr: '<i8' },
  { title: 'Channel', name: 'channel', typestr: '<i2' },
  { title: 'Hits at least min_hit_length samples long', name: 'n_hits', typestr: '<i4' },
]);

export class HitsPerChannel extends Plugin {
  static provides = 'hits_per_channel';
  static dependsOn = ['hits'];
  static dtype = COUNTS;
  static version = '0.1.0';
  static options = defineOptions({
    min_hit_length: { type: 'int', default: 1, track: true, help: 'Count only hits at least this many samples long' },
  });

  compute(inputs, range) {
    const hits = inputs.hits;
    const v = new DataView(hits.buffer, hits.byteOffset, hits.byteLength);
    const size = 48; // strax.hit_dtype
    const counts = new Map();
    for (let o = 0; o < hits.length; o += size) {
      if (v.getInt32(o + HITS.field('length').offset, true) < this.config.min_hit_length) continue;
      const ch = v.getInt16(o + HITS.field('channel').offset, true);
      counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    const channels = [...counts.keys()].sort((a, b) => a - b);
    const out = new Uint8Array(channels.length * COUNTS.itemsize);
    const w = new DataView(out.buffer);
    channels.forEach((ch, i) => {
      const o = i * COUNTS.itemsize;
      w.setBigInt64(o, range.start, true);
      w.setBigInt64(o + COUNTS.field('endtime').offset, range.end, true);
      w.setInt16(o + COUNTS.field('channel').offset, ch, true);
      w.setInt32(o + COUNTS.field('n_hits').offset, counts.get(ch), true);
    });
    return out;
  }
}
