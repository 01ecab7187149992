// Records: baseline from the first samples of each pulse, flip and subtract, area, baseline_rms (strax.baseline).
import { rawRecordDtype, recordDtype } from '../dtype/standard.js';
import { Plugin, type PluginInputs } from '../engine/plugin.js';
import { defineOptions } from '../engine/options.js';
import { ifWasmMemory } from '../../util/wasm.js';
import { fieldOffsets, viewOf } from './kernels/fields.js';
import { WasmPulseProcessing } from './kernels/pulse-processing-wasm.js';

const RAW = rawRecordDtype(110);
const REC = recordDtype(110);
const RAW_AT = fieldOffsets(RAW, ['length', 'channel', 'record_i', 'data']);
const REC_AT = fieldOffsets(REC, ['area', 'baseline', 'baseline_rms', 'data']);
/** time, length, dt, channel, pulse_length, record_i: the same fields at the same offsets in both dtypes. */
const SHARED_HEADER_BYTES = RAW.field('record_i').offset + RAW.field('record_i').size;

const RECORDS_OPTIONS = defineOptions({
  baseline_samples: { type: 'int', default: 40, track: true, help: 'Samples at the start of a pulse used for the baseline' },
});

export class Records extends Plugin<typeof RECORDS_OPTIONS> {
  static override provides = 'records';
  static override dependsOn = ['raw_records'];
  static override dtype = REC;
  // As in straxen (PulseProcessing: save_when records=TARGET): records are as large as the raw data and cheap
  // to recompute, so they are stored only when asked for (a target, or ProcessOptions.save).
  static override saveWhen = 'target' as const;
  static override version = '0.1.0';
  /** zstd level 1: ~25 % less compression time than level 3 for ~14 % larger files (strax reads any level). */
  static override compressorLevel = 1;
  static override options = RECORDS_OPTIONS;

  /** The WebAssembly converter; null where no WebAssembly memory could be had. */
  private wasm: WasmPulseProcessing | null | undefined;
  private js: BaselineState | undefined;

  compute(inputs: PluginInputs): Uint8Array {
    const raw = inputs.raw_records!;
    if (this.wasm === undefined) this.wasm = WasmPulseProcessing.for(RAW, REC, SHARED_HEADER_BYTES) ?? null;
    const wasm = this.wasm;
    const inWasm = wasm && ifWasmMemory(() => wasm.toRecords(raw, this.config.baseline_samples));
    return inWasm ?? recordsInJs(raw, this.config.baseline_samples, (this.js ??= newBaselineState()));
  }
}

/** Last baseline per channel (index channel + 32768), valid where seen[] holds the current call's stamp. */
export interface BaselineState {
  blOf: Float64Array;
  rmsOf: Float64Array;
  seen: Int32Array;
  call: number;
}

export function newBaselineState(): BaselineState {
  return { blOf: new Float64Array(65536), rmsOf: new Float64Array(65536), seen: new Int32Array(65536), call: 0 };
}

/**
 * The records of raw_records rows `raw` in JavaScript: each pulse's baseline from its first `baselineSamples` samples
 * (a pulse's later records keep its first record's, if that was in this call), the samples flipped and subtracted.
 */
export function recordsInJs(raw: Uint8Array, baselineSamples: number, state: BaselineState): Uint8Array {
  const n = raw.length / RAW.itemsize;
  const out = new Uint8Array(n * REC.itemsize);
  const src = viewOf(raw);
  const dst = new DataView(out.buffer);
  if (++state.call === 0x7fffffff) state.seen.fill((state.call = 1) - 1);
  const samples = new RawSamples(raw);
  const out16 = new Int16Array(out.buffer, 0, out.length >> 1);
  const { blOf, rmsOf, seen, call } = state;
  for (let i = 0, s = 0, d = 0; i < n; i++, s += RAW.itemsize, d += REC.itemsize) {
    copyHeader(src, s, dst, d);
    const length = src.getInt32(s + RAW_AT.length, true);
    const c = src.getInt16(s + RAW_AT.channel, true) + 32768;
    // A pulse's later records (record_i > 0) keep the baseline of its first record.
    if (src.getInt16(s + RAW_AT.record_i, true) === 0 || seen[c] !== call) {
      samples.baseline(s + RAW_AT.data, Math.max(1, Math.min(baselineSamples, length)));
      blOf[c] = samples.mean;
      rmsOf[c] = samples.rms;
      seen[c] = call;
    }
    const area = writeFlipped(samples, s + RAW_AT.data, Math.trunc(blOf[c]!), length, out, out16, dst, d + REC_AT.data);
    dst.setInt32(d + REC_AT.area, area, true);
    dst.setFloat32(d + REC_AT.baseline, blOf[c]!, true);
    dst.setFloat32(d + REC_AT.baseline_rms, rmsOf[c]!, true);
  }
  return out;
}

/** Copy the shared header fields of one row (as 32-bit words, then 16-bit ones). */
function copyHeader(src: DataView, s: number, dst: DataView, d: number): void {
  let b = 0;
  for (; b + 4 <= SHARED_HEADER_BYTES; b += 4) dst.setUint32(d + b, src.getUint32(s + b, true), true);
  for (; b < SHARED_HEADER_BYTES; b += 2) dst.setUint16(d + b, src.getUint16(s + b, true), true);
}

/** raw_records samples: through an Int16Array view when the buffer is 2-byte aligned, else a DataView. */
class RawSamples {
  readonly aligned: boolean;
  readonly i16: Int16Array;
  readonly view: DataView;
  mean = 0;
  rms = 0;

  constructor(raw: Uint8Array) {
    this.aligned = raw.byteOffset % 2 === 0;
    this.i16 = this.aligned ? new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength >> 1) : new Int16Array(0);
    this.view = viewOf(raw);
  }

  at(byte: number, j: number): number {
    return this.aligned ? this.i16[(byte >> 1) + j]! : this.view.getInt16(byte + 2 * j, true);
  }

  /** Mean and RMS of the first m samples at `byte`. */
  baseline(byte: number, m: number): void {
    let sum = 0;
    let sum2 = 0;
    for (let j = 0; j < m; j++) {
      const v = this.at(byte, j);
      sum += v;
      sum2 += v * v;
    }
    this.mean = sum / m;
    this.rms = Math.sqrt(Math.max(0, sum2 / m - this.mean * this.mean));
  }
}

/**
 * Write `int(baseline) − sample` for `length` samples at byte `o` of the records; returns their sum (the area).
 * Records are 257 bytes, so every other row's data is at an odd address: those rows are written as 16-bit words of
 * (high byte of sample j−1, low byte of sample j).
 */
function writeFlipped(samples: RawSamples, from: number, ibl: number, length: number, out: Uint8Array, out16: Int16Array, dst: DataView, o: number): number {
  let area = 0;
  if (!samples.aligned) {
    for (let j = 0; j < length; j++) {
      const v = ibl - samples.at(from, j);
      dst.setInt16(o + 2 * j, v, true);
      area += v;
    }
    return area;
  }
  const raw16 = samples.i16;
  const k0 = from >> 1;
  if ((o & 1) === 0) {
    for (let j = 0, w = o >> 1; j < length; j++, w++) {
      const v = ibl - raw16[k0 + j]!;
      out16[w] = v;
      area += v;
    }
    return area;
  }
  if (length === 0) return 0;
  let prev = ibl - raw16[k0]!;
  area += prev;
  out[o] = prev;
  for (let j = 1; j < length; j++) {
    const v = ibl - raw16[k0 + j]!;
    area += v;
    out16[(o + 2 * j - 1) >> 1] = ((prev >> 8) & 0xff) | ((v & 0xff) << 8);
    prev = v;
  }
  out[o + 2 * length - 1] = prev >> 8;
  return area;
}
