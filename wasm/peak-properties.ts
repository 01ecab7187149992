// strax.compute_properties on summed peaks (part of the records-kernels module): median time, widths and area deciles
// (compute_widths via compute_index_of_fraction), center time and area fraction top. computeProperties in
// src/strax/plugins/kernels/peak-properties.ts is the JavaScript reference; each step here is one of its double steps,
// rounded to float32 where it stores into a Float32Array or a float32 field.

// Field offsets within a peak row, set by configureProperties().
let pTime: usize = 0;
let pLength: usize = 0;
let pDt: usize = 0;
let pArea: usize = 0;
let pAreaFractionTop: usize = 0;
let pAreaPerChannel: usize = 0;
let pData: usize = 0;
let pCenterTime: usize = 0;
let pMedianTime: usize = 0;
let pWidth: usize = 0;
let pAreaDecile: usize = 0;
let pSize: usize = 0;
let pSamples: i32 = 0;

export function configureProperties(size: usize, time: usize, length: usize, dt: usize, area: usize, areaFractionTop: usize, areaPerChannel: usize, data: usize, centerTime: usize, medianTime: usize, width: usize, areaDecile: usize, samples: i32): void {
  pSize = size;
  pTime = time;
  pLength = length;
  pDt = dt;
  pArea = area;
  pAreaFractionTop = areaFractionTop;
  pAreaPerChannel = areaPerChannel;
  pData = data;
  pCenterTime = centerTime;
  pMedianTime = medianTime;
  pWidth = width;
  pAreaDecile = areaDecile;
  pSamples = samples;
}

/**
 * The properties of the `n` peaks at `peaks`, in place. `fractions` (f64, `nFractions` = 2·nWidths − 1 of them,
 * sorted, the middle one 0.5) are compute_widths' area fractions; `times` is 4·nFractions bytes of scratch. Returns
 * −1 − i, having written peaks before i only, for a peak i whose length is negative or beyond its data field.
 */
export function computeProperties(peaks: usize, n: i32, base: i64, fractions: usize, nFractions: i32, nWidths: i32, nTop: i32, times: usize): i32 {
  const mid = nFractions >> 1;
  for (let p = 0; p < n; p++) {
    const row = peaks + <usize>p * pSize;
    const length = load<i32>(row + pLength);
    if (length < 0 || length > pSamples) return -1 - p;
    const dt = <f64>load<i32>(row + pDt);
    const area = <f64>load<f32>(row + pArea);
    const wf = row + pData;
    indexOfFraction(wf, length, area, fractions, nFractions, times);
    for (let k = 0; k < nFractions; k++) {
      const at = times + (<usize>k << 2);
      store<f32>(at, <f32>(<f64>load<f32>(at) * dt));
    }
    const median = <f64>load<f32>(times + (<usize>mid << 2));
    store<f32>(row + pMedianTime, <f32>median);
    for (let j = 0; j < nWidths; j++) {
      const after = <f64>load<f32>(times + (<usize>(mid + j) << 2));
      const before = <f64>load<f32>(times + (<usize>(mid - j) << 2));
      store<f32>(row + pWidth + (<usize>j << 2), <f32>(after - before));
      store<f32>(row + pAreaDecile + (<usize>j << 2), <f32>(<f64>load<f32>(times + (<usize>(2 * j) << 2)) - median));
    }
    const rel = <f64>(load<i64>(row + pTime) - base);
    const center = centerTime(wf, length, rel, dt);
    // A DataView writes NaN as the integer 0; every other centre is an integer double.
    store<i64>(row + pCenterTime, isNaN(center) ? 0 : base + <i64>center);
    if (nTop > 0) {
      let top: f64 = 0;
      for (let c = 0; c < nTop; c++) top = <f64><f32>(top + <f64>load<f32>(row + pAreaPerChannel + (<usize>c << 2)));
      store<f32>(row + pAreaFractionTop, area > 0 ? <f32>(top / area) : <f32>NaN);
    }
  }
  return n;
}

/** strax.compute_index_of_fraction into `out` (float32): float32 per-sample fractions, a float64 running sum. */
function indexOfFraction(wf: usize, length: i32, area: f64, fractions: usize, nFractions: i32, out: usize): void {
  memory.fill(out, 0, <usize>nFractions << 2);
  if (!(area > 0)) return;
  let seen: f64 = 0;
  let k = 0;
  let needed = load<f64>(fractions);
  for (let i = 0; i < length && k < nFractions; i++) {
    const x = <f64>load<f32>(wf + (<usize>i << 2));
    const frac = <f64><f32>(x / area);
    while (seen + frac >= needed) {
      store<f32>(out + (<usize>k << 2), <f32>(x != 0 ? <f64>i + (area * (needed - seen)) / x : <f64>i));
      k++;
      if (k > nFractions - 1) break;
      needed = load<f64>(fractions + (<usize>k << 3));
    }
    seen += frac;
  }
  if (needed == 1) store<f32>(out + (<usize>(nFractions - 1) << 2), <f32>length);
}

/** The time of the waveform's weighted mean sample (numba's float32 np.average), within the peak. */
function centerTime(wf: usize, length: i32, time: f64, dt: f64): f64 {
  let total: f64 = 0;
  let moment: f64 = 0;
  for (let k = 0; k < length; k++) {
    const x = <f64>load<f32>(wf + (<usize>k << 2));
    total = <f64><f32>(total + x);
    moment = <f64><f32>(moment + <f64><f32>(<f64>k * x));
  }
  if (total == 0) return time;
  const t = <f64><f32>(moment / total);
  return Math.min(Math.max(time + Math.trunc((t + 0.5) * dt), time), time + <f64>length * dt);
}
