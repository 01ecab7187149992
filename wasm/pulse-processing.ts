// raw_records → records in WebAssembly, compiled by AssemblyScript (`npm run build:wasm`): each pulse's baseline from
// its first samples (strax.baseline), then every sample flipped and subtracted, int(baseline) − sample, and summed into
// the area. The caller (src/strax/plugins/kernels/pulse-processing-wasm.ts) lays out the memory it imports and passes
// the field offsets of both dtypes, read by name; the Records plugin's JavaScript (src/strax/plugins/records.ts)
// computes the same rows and is the fallback and the reference.

// Field offsets, set once by configure().
let rawSize: usize = 0;
let rawLength: usize = 0;
let rawChannel: usize = 0;
let rawRecordI: usize = 0;
let rawData: usize = 0;
let samplesPerRecord: i32 = 0;
let recSize: usize = 0;
let recArea: usize = 0;
let recBaseline: usize = 0;
let recRms: usize = 0;
let recData: usize = 0;
let headerBytes: usize = 0;

const CHANNELS: usize = 65536;
/** Per channel (index channel + 32768): the last baseline and its RMS (f64), and the call that set them (i32). */
export const TABLES_BYTES: usize = CHANNELS * 8 + CHANNELS * 8 + CHANNELS * 4;

export function configure(size: usize, length: usize, channel: usize, recordI: usize, data: usize, samples: i32, outSize: usize, area: usize, baseline: usize, rms: usize, outData: usize, header: usize): void {
  rawSize = size;
  rawLength = length;
  rawChannel = channel;
  rawRecordI = recordI;
  rawData = data;
  samplesPerRecord = samples;
  recSize = outSize;
  recArea = area;
  recBaseline = baseline;
  recRms = rms;
  recData = outData;
  headerBytes = header;
}

/** Forget which call set each channel's baseline (before the call stamp wraps around). */
export function clearCallStamps(tables: usize): void {
  memory.fill(tables + CHANNELS * 16, 0, CHANNELS * 4);
}

/**
 * The records of `n` raw_records rows at `raw`, written at `out` (zeroed first, as a fresh JavaScript array is).
 * `call` stamps the baselines set in this call: a pulse's later records (record_i > 0) keep its first record's
 * baseline, unless that record was not in this call. Returns −1, or the index of the first row whose length is outside
 * [0, samples] (nothing is then to be trusted: the caller computes the call in JavaScript, which reads what it reads).
 */
export function toRecords(raw: usize, n: i32, out: usize, tables: usize, call: i32, baselineSamples: i32): i32 {
  const blOf = tables;
  const rmsOf = tables + CHANNELS * 8;
  const seen = tables + CHANNELS * 16;
  for (let i = 0; i < n; i++) {
    const length = load<i32>(raw + <usize>i * rawSize + rawLength);
    if (length < 0 || length > samplesPerRecord) return i;
  }
  memory.fill(out, 0, <usize>n * recSize);
  for (let i = 0; i < n; i++) {
    const s = raw + <usize>i * rawSize;
    const d = out + <usize>i * recSize;
    memory.copy(d, s, headerBytes);
    const length = load<i32>(s + rawLength);
    const c = <usize>(<i32>load<i16>(s + rawChannel) + 32768);
    const samples = s + rawData;
    if (load<i16>(s + rawRecordI) == 0 || load<i32>(seen + c * 4) != call) {
      const m = max(1, min(baselineSamples, length));
      let sum: i64 = 0;
      let sum2: i64 = 0;
      for (let j = 0; j < m; j++) {
        const v = <i64>load<i16>(samples + <usize>j * 2);
        sum += v;
        sum2 += v * v;
      }
      // The same double operations as the JavaScript (the sums are exact integers either way).
      const mean = <f64>sum / <f64>m;
      store<f64>(blOf + c * 8, mean);
      store<f64>(rmsOf + c * 8, Math.sqrt(max<f64>(0, <f64>sum2 / <f64>m - mean * mean)));
      store<i32>(seen + c * 4, call);
    }
    const bl = load<f64>(blOf + c * 8);
    const ibl = <i32>Math.trunc(bl);
    store<i32>(d + recArea, flip(samples, d + recData, length, ibl));
    store<f32>(d + recBaseline, <f32>bl);
    store<f32>(d + recRms, <f32>load<f64>(rmsOf + c * 8));
  }
  return -1;
}

/**
 * Writes int(baseline) − sample for `length` samples (as int16, wrapping as JavaScript's Int16Array does) and returns
 * their sum before wrapping: length · int(baseline) − Σ samples. Eight samples at a time while eight remain, so
 * nothing is written past the record's `length` samples.
 */
@inline function flip(from: usize, to: usize, length: i32, ibl: i32): i32 {
  const bl = i16x8.splat(<i16>ibl);
  let sums = i32x4.splat(0);
  let j = 0;
  for (; j + 8 <= length; j += 8) {
    const x = v128.load(from + (<usize>j << 1));
    v128.store(to + (<usize>j << 1), i16x8.sub(bl, x));
    sums = i32x4.add(sums, i32x4.extadd_pairwise_i16x8_s(x));
  }
  let sum = i32x4.extract_lane(sums, 0) + i32x4.extract_lane(sums, 1) + i32x4.extract_lane(sums, 2) + i32x4.extract_lane(sums, 3);
  for (; j < length; j++) {
    const x = <i32>load<i16>(from + (<usize>j << 1));
    store<i16>(to + (<usize>j << 1), <i16>(ibl - x));
    sum += x;
  }
  return length * ibl - sum;
}
