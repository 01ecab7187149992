// raw_records → records in WebAssembly (wasm/pulse-processing.ts): the same rows as the Records plugin's JavaScript
// (recordsInJs in records.ts), which stays the fallback where no WebAssembly memory can be had and the reference the
// tests compare with. Each plugin instance (so each thread) has its own memory, holding one after the other:
//   [0, TABLES_AT)   the module's own static data
//   tables           per channel: the last baseline, its RMS and the call that set them (TABLES_BYTES)
//   raw              the call's raw_records rows, copied in
//   out              its records rows, copied out to the caller
import type { RecordLayout } from '../../dtype/layout.js';
import { growWasmMemory, ifWasmMemory, wasmMemory, wasmModule } from '../../../util/wasm.js';
import { fieldOffsets } from './fields.js';

interface PulseProcessingExports {
  configure(size: number, length: number, channel: number, recordI: number, data: number, samples: number, outSize: number, area: number, baseline: number, rms: number, outData: number, header: number): void;
  toRecords(raw: number, n: number, out: number, tables: number, call: number, baselineSamples: number): number;
  clearCallStamps(tables: number): void;
  TABLES_BYTES: { value: number };
}

const TABLES_AT = 65536;
const align = (x: number, to: number) => Math.ceil(x / to) * to;

export class WasmPulseProcessing {
  /** Stamps the baselines set in one call (0 marks none yet: the tables start zeroed). */
  private call = 0;
  private readonly rawAt: number;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly x: PulseProcessingExports,
    private readonly raw: RecordLayout,
    private readonly records: RecordLayout,
  ) {
    this.rawAt = align(TABLES_AT + x.TABLES_BYTES.value, 16);
  }

  /**
   * A converter from raw_records of `raw` to records of `records` (both with the same header fields first, `headerBytes`
   * of them), or undefined where no WebAssembly memory can be had (use the JavaScript then).
   */
  static for(raw: RecordLayout, records: RecordLayout, headerBytes: number): WasmPulseProcessing | undefined {
    const memory = ifWasmMemory(() => wasmMemory(2 * TABLES_AT, 'pulse processing', false));
    if (!memory) return undefined;
    const x = new WebAssembly.Instance(wasmModule('pulse-processing'), { env: { memory, abort: () => { throw new Error('pulse-processing WebAssembly aborted'); } } }).exports as unknown as PulseProcessingExports;
    const r = fieldOffsets(raw, ['length', 'channel', 'record_i', 'data']);
    const o = fieldOffsets(records, ['area', 'baseline', 'baseline_rms', 'data']);
    x.configure(r.itemsize, r.length, r.channel, r.record_i, r.data, raw.field('data').count, o.itemsize, o.area, o.baseline, o.baseline_rms, o.data, headerBytes);
    const converter = new WasmPulseProcessing(memory, x, raw, records);
    return ifWasmMemory(() => (growWasmMemory(memory, converter.rawAt, 'pulse processing'), converter));
  }

  /**
   * The records of the raw_records rows `raw`, baselines from their first `baselineSamples` samples. Undefined, with
   * nothing changed, when a row's length is outside [0, samples] (the JavaScript then computes the call).
   * WasmMemoryError when the memory cannot grow for them.
   */
  toRecords(raw: Uint8Array, baselineSamples: number): Uint8Array | undefined {
    const n = raw.length / this.raw.itemsize;
    const outAt = align(this.rawAt + raw.length, 16);
    const outBytes = n * this.records.itemsize;
    growWasmMemory(this.memory, outAt + outBytes, 'pulse processing');
    new Uint8Array(this.memory.buffer, this.rawAt, raw.length).set(raw);
    if (++this.call === 0x7fffffff) {
      this.x.clearCallStamps(TABLES_AT);
      this.call = 1;
    }
    const bad = this.x.toRecords(this.rawAt, n, outAt, TABLES_AT, this.call, baselineSamples);
    if (bad >= 0) return undefined;
    return new Uint8Array(this.memory.buffer, outAt, outBytes).slice();
  }
}
