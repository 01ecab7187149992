// RawRecords: the run's live data (written by the DAQ, here fake-daq) as strax raw_records, checked for layout and order.
import { DataCorruptedError } from '../errors.js';
import { rawRecordDtype } from '../dtype/standard.js';
import { Plugin, type ChunkRange, type PluginInputs } from '../engine/plugin.js';

export class RawRecords extends Plugin {
  static override provides = 'raw_records';
  static override dtype = rawRecordDtype(110);
  static override version = '0.1.0';
  static override source = 'live' as const;
  static override compressor = 'zstd' as const;
  /** The live data is already on disk: a second copy is written only when raw_records is a target (or in `save`). */
  static override saveWhen = 'target' as const;

  compute(inputs: PluginInputs, range: ChunkRange): Uint8Array {
    const rows = inputs.live!;
    const size = RawRecords.dtype.itemsize;
    if (rows.length % size !== 0) throw new DataCorruptedError(`run ${range.runId} live data`, `${rows.length} bytes is not a whole number of ${size}-byte raw_records`);
    return rows;
  }
}
