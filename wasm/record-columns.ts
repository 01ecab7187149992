// The records' columns the kernels look up per hit (part of the records-kernels module), made once per chunk when the
// records are loaded: a hit then reads a few megabytes of columns instead of its record's row out of tens of megabytes
// of records, long out of cache by the time the hits come.

/**
 * For each of the `n` records at `records`: its start relative to `base` (f64, at `start`), that start in samples,
 * floor(start / dt) (f64, at `startSample`: sum_waveform's record start), its sample width (i16, at `dt`) and its
 * length (i32, at `length`).
 */
export function recordColumns(records: usize, n: i32, size: usize, timeAt: usize, dtAt: usize, lengthAt: usize, base: i64, start: usize, startSample: usize, dt: usize, length: usize): void {
  for (let r = 0; r < n; r++) {
    const rec = records + <usize>r * size;
    const t = <f64>(load<i64>(rec + timeAt) - base);
    const w = load<i16>(rec + dtAt);
    store<f64>(start + (<usize>r << 3), t);
    store<f64>(startSample + (<usize>r << 3), Math.floor(t / <f64>w));
    store<i16>(dt + (<usize>r << 1), w);
    store<i32>(length + (<usize>r << 2), load<i32>(rec + lengthAt));
  }
}
