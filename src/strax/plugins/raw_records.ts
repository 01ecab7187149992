// RawRecords: the run's live data (written by the DAQ, here fake-daq) as strax raw_records, checked for layout and order.
// The DAQ's other subdetectors (split by live.channel_map, as straxen's DAQReader does) come as raw_records_<subd>.
import { DataCorruptedError } from '../errors.js';
import { rawRecordDtype } from '../dtype/standard.js';
import { Plugin, type ChunkRange, type ConcretePluginClass, type PluginInputs } from '../engine/plugin.js';

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

/** A subdetector's raw_records (raw_records_he, …): the same rows and checks, another data type. */
function subdetectorRawRecords(provides: string, name: string): ConcretePluginClass {
  const cls = class extends RawRecords {
    static override provides = provides;
  };
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

/** The outputs of straxen's DAQReader besides raw_records (XENONnT's channel map). */
export const SUBDETECTOR_RAW_RECORDS: ConcretePluginClass[] = [
  subdetectorRawRecords('raw_records_he', 'RawRecordsHe'),
  subdetectorRawRecords('raw_records_aqmon', 'RawRecordsAqmon'),
  subdetectorRawRecords('raw_records_aqmon_nv', 'RawRecordsAqmonNv'),
  subdetectorRawRecords('raw_records_mv', 'RawRecordsMv'),
  subdetectorRawRecords('raw_records_aux_mv', 'RawRecordsAuxMv'),
  subdetectorRawRecords('raw_records_nv', 'RawRecordsNv'),
];
