// Hits: intervals of a record at or above the threshold (strax.find_hits), ordered by time and channel, with the
// integration window extended by save_outside_hits (strax.find_hit_integration_bounds, kept inside the record).
import { Plugin, type ChunkRange, type PluginInputs } from '../engine/plugin.js';
import { defineOptions } from '../engine/options.js';
import { recordDtype } from '../dtype/standard.js';
import { TimeBase, fieldOffsets, viewOf } from './kernels/fields.js';
import { BadRecordLength, HIT, HitBuffer, findHits } from './kernels/find-hits.js';
import { WasmHitFinder } from './kernels/find-hits-wasm.js';
import { DataCorruptedError } from '../errors.js';
import { ifWasmMemory } from '../../util/wasm.js';
import { permuteHitRows } from './kernels/hit-order.js';
import { sortedOrder } from './packed.js';
import { RecordWindows } from './kernels/integration-bounds.js';

const RECORDS = recordDtype(110);
const RECORD_AT = fieldOffsets(RECORDS, ['time', 'dt']);

const HITS_OPTIONS = defineOptions({
  hit_min_amplitude: { type: 'int', default: 15, track: true, help: 'Hit threshold: samples at or above this many ADC counts over the baseline' },
  save_outside_hits_left: { type: 'int', default: 30, track: true, help: 'Integration window before a hit [ns] (strax save_outside_hits[0])' },
  save_outside_hits_right: { type: 'int', default: 200, track: true, help: 'Integration window after a hit [ns] (strax save_outside_hits[1])' },
});

export class Hits extends Plugin<typeof HITS_OPTIONS> {
  static override provides = 'hits';
  static override dependsOn = ['records'];
  static override dtype = HIT;
  static override version = '0.2.0';
  /** record_i is the index of the hit's record in the records of the same compute call. */
  static override rowReference = { field: 'record_i', into: 'records' };
  /** zstd level 1: hit rows compress 2.7× faster than at level 3 for 1–2 % larger files. */
  static override compressorLevel = 1;
  static override options = HITS_OPTIONS;

  private readonly saveOutsideHits = [this.config.save_outside_hits_left, this.config.save_outside_hits_right] as const;
  /** The WebAssembly hit finder (one plugin instance per thread), made at the first call; null where none can be. */
  private wasm: WasmHitFinder | null | undefined;
  /** The JavaScript hit finder's reusable rows and integration windows, where WebAssembly is not to be had. */
  private found: HitBuffer | undefined;
  private windows: RecordWindows | undefined;

  compute(inputs: PluginInputs, range: ChunkRange): Uint8Array {
    const records = inputs.records!;
    try {
      return this.sortedHits(records, timeBaseOf(records, range));
    } catch (error) {
      if (error instanceof BadRecordLength) throw new DataCorruptedError(`run ${range.runId} records`, `${error.message}; strax refuses such records too: recompute them from the live data with \`straxer ${range.runId} -t hits --from-scratch\``);
      throw error;
    }
  }

  /** The hits with their integration windows, sorted: in WebAssembly, or in JavaScript where it has no memory. */
  private sortedHits(records: Uint8Array, base: TimeBase): Uint8Array {
    if (this.wasm === undefined) this.wasm = WasmHitFinder.for(RECORDS) ?? null;
    const wasm = this.wasm;
    const inWasm = wasm && ifWasmMemory(() => wasm.findSorted(records, this.config.hit_min_amplitude, base, this.saveOutsideHits));
    if (inWasm) return inWasm;
    this.found ??= new HitBuffer();
    this.windows ??= new RecordWindows(this.saveOutsideHits);
    const n = findHits(records, RECORDS, this.config.hit_min_amplitude, base, this.found, this.windows);
    return permuteHitRows(this.found.words, sortedOrder(this.found.keys, n), n);
  }
}

/** The chunk start rounded down to a multiple of the records' sample width (from the data; 1 ns without records). */
export function timeBaseOf(records: Uint8Array, range: ChunkRange): TimeBase {
  const dt = records.length > 0 ? viewOf(records).getInt16(RECORD_AT.dt, true) : 1;
  return TimeBase.floor(range.start, dt);
}
