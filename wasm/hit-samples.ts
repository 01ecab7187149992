// sum_waveform's per-sample work for a hit whose samples all lie in its own record, in WebAssembly, compiled by
// AssemblyScript (`npm run build:wasm`): each sample `f32(f32(data·2^shift + baseline % 1) · to_pe)` added to the
// peak's float32 waveform (and the top array's), the hit's area accumulated in float32, and the record's largest
// sample kept for the saturation test. The caller (src/strax/plugins/kernels/hit-samples-wasm.ts) copies records into
// the memory it imports a few at a time and keeps the waveforms there; the same steps in JavaScript
// (addHitFromRecord in sum-waveform.ts) are the fallback and the reference.

/** The largest sample of the last call's record overlap, or NO_SAMPLE when it had none. */
let maxSample: i32 = 0;
const NO_SAMPLE: i32 = -65536;

export function lastMaxSample(): i32 {
  return maxSample;
}

/**
 * Adds samples k0…k1 of the hit (record samples j0… at `data`) to the waveforms at `sum` and `top` (0: none) where
 * they overlap the peak (hit samples hs…he to peak sample ps on); returns the hit's area [PE].
 */
export function addHitSamples(data: usize, k0: i32, k1: i32, j0: i32, hs: i32, he: i32, ps: i32, multiplier: f64, fpart: f64, toPe: f64, sum: usize, top: usize): f32 {
  let max = NO_SAMPLE;
  let area: f32 = 0;
  for (let k = k0, j = j0; k < k1; k++, j++) {
    const x = <i32>load<i16>(data + (<usize>j << 1));
    if (x > max) max = x;
    if (k < hs || k >= he) continue;
    const pe = <f32>(<f64><f32>(multiplier * <f64>x + fpart) * toPe);
    const q = <usize>(ps + k - hs) << 2;
    store<f32>(sum + q, load<f32>(sum + q) + pe);
    if (top != 0) store<f32>(top + q, load<f32>(top + q) + pe);
    area += pe;
  }
  maxSample = max;
  return area;
}
