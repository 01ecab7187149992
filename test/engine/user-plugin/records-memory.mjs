// A user plugin that reports, per segment, where its records input lives: in memory shared with the main thread
// (stored records decoded for worker threads) or in a buffer of its own (a copy), and how many bytes of them it got.
import { Plugin } from '../../../dist/strax/engine/plugin.js';
import { makeLayout } from '../../../dist/strax/dtype/layout.js';

export const MEMORY = makeLayout([
  { title: 'Start time of the segment', name: 'time', typestr: '<i8' },
  { title: 'End time of the segment', name: 'endtime', typestr: '<i8' },
  { title: 'Bytes of records in the segment', name: 'records_bytes', typestr: '<i8' },
  { title: '1 when the records are in shared memory', name: 'shared', typestr: '|i1' },
]);

export class RecordsMemory extends Plugin {
  static provides = 'records_memory';
  static dependsOn = ['records'];
  static dtype = MEMORY;
  static version = '0.1.0';

  compute(inputs, range) {
    const records = inputs.records;
    const out = new Uint8Array(MEMORY.itemsize);
    const w = new DataView(out.buffer);
    w.setBigInt64(0, range.start, true);
    w.setBigInt64(MEMORY.field('endtime').offset, range.end, true);
    w.setBigInt64(MEMORY.field('records_bytes').offset, BigInt(records.length), true);
    w.setInt8(MEMORY.field('shared').offset, records.buffer instanceof SharedArrayBuffer ? 1 : 0);
    return out;
  }
}
