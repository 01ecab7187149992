// The memory behind sum_waveform's per-sample summing in WebAssembly (wasm/hit-samples.ts): the peak's waveforms and a
// window of a few records, copied in as the hits (sorted by time) reach them. Copying a chunk's records whole would
// push them out of the processor's cache for the passes that follow; the window keeps the copy in the first-level
// cache. One memory per thread, reused by every call; no view of it outlives a sumWaveform call.
import { WasmMemoryError, growWasmMemory, wasmMemory, wasmModule } from '../../../util/wasm.js';

interface HitSamplesExports {
  addHitSamples(data: number, k0: number, k1: number, j0: number, hs: number, he: number, ps: number, multiplier: number, fpart: number, toPe: number, sum: number, top: number): number;
  lastMaxSample(): number;
}

/** lastMaxSample() when the hit had no samples in its record. */
export const NO_SAMPLE = -65536;
const STATIC_BYTES = 65536;
/** Records copied in at a time, starting this many before the one asked for (hits of other channels reach back). */
const WINDOW_RECORDS = 2048;
const WINDOW_BACK = 512;

let shared: { memory: WebAssembly.Memory; x: HitSamplesExports } | null | undefined;

/** sum_waveform's waveforms and record window for one call, in WebAssembly memory. */
export class WasmHitSummer {
  readonly sum: Float32Array;
  readonly top: Float32Array;
  readonly addHitSamples: HitSamplesExports['addHitSamples'];
  readonly lastMaxSample: () => number;
  readonly sumAt: number;
  readonly topAt: number;
  private readonly windowAt: number;
  private lo = 0;
  private hi = 0;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    x: HitSamplesExports,
    samples: number,
    private readonly records: Uint8Array,
    private readonly recordSize: number,
    private readonly dataAt: number,
  ) {
    this.sumAt = STATIC_BYTES;
    this.topAt = this.sumAt + 4 * samples;
    this.windowAt = this.topAt + 4 * samples;
    growWasmMemory(memory, this.windowAt + WINDOW_RECORDS * recordSize + 16, 'sum_waveform');
    this.sum = new Float32Array(memory.buffer, this.sumAt, samples);
    this.top = new Float32Array(memory.buffer, this.topAt, samples);
    this.addHitSamples = x.addHitSamples;
    this.lastMaxSample = x.lastMaxSample;
  }

  /**
   * For one sumWaveform call: waveforms of `samples` float32 each, over `records` (rows of `recordSize` bytes whose
   * samples start at byte `dataAt`); undefined where no WebAssembly memory can be had (sum in JavaScript then).
   */
  static for(samples: number, records: Uint8Array, recordSize: number, dataAt: number): WasmHitSummer | undefined {
    try {
      if (shared === undefined) {
        const memory = wasmMemory(4 * STATIC_BYTES, 'sum_waveform', false);
        const x = new WebAssembly.Instance(wasmModule('hit-samples'), { env: { memory, abort: () => { throw new Error('hit-samples WebAssembly aborted'); } } }).exports as unknown as HitSamplesExports;
        shared = { memory, x };
      }
      if (shared === null) return undefined;
      return new WasmHitSummer(shared.memory, shared.x, samples, records, recordSize, dataAt);
    } catch (error) {
      if (!(error instanceof WasmMemoryError)) throw error;
      if (shared === undefined) shared = null; // no memory at all: JavaScript for the rest of this thread's life
      return undefined;
    }
  }

  /** The address of record r's first sample, copying the window of records around it in if needed. */
  samplesOf(r: number): number {
    if (r < this.lo || r >= this.hi) {
      const n = this.records.length / this.recordSize;
      this.lo = Math.max(0, r - WINDOW_BACK);
      this.hi = Math.min(n, this.lo + WINDOW_RECORDS);
      new Uint8Array(this.memory.buffer, this.windowAt, (this.hi - this.lo) * this.recordSize).set(this.records.subarray(this.lo * this.recordSize, this.hi * this.recordSize));
    }
    return this.windowAt + (r - this.lo) * this.recordSize + this.dataAt;
  }
}
