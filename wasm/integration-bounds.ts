// strax.find_hit_integration_bounds in WebAssembly (part of the records-kernels module): the window each hit is
// integrated over, in its record's samples, for hits sorted by time whose records are in this memory.
// findHitIntegrationBounds in src/strax/plugins/kernels/integration-bounds.ts is the JavaScript reference; every
// step here is one of its double steps.
import { toInt32 } from './js-numbers';

/** integrationBounds' result when a hit names a record outside the records given (JavaScript then reports it). */
export const BAD_HIT_RECORD: i32 = -1;

/**
 * Sets left_integration / right_integration (int16, at `leftAt` / `rightAt`) of the `n` hit rows at `hits`: the
 * window [time − left, endtime + right) ns, clamped to the excluded intervals around the hit (nExcluded doubles each
 * at `exStart` / `exEnd`, relative to the base, sorted) and, when `insideRecord`, to the hit's record; the earlier of
 * two consecutive hits of one channel ends where the later starts, and the later starts after the earlier's end.
 * Stored as floor((t − record.time) / dt). `scratch` holds 26·n + 4·65536 bytes. The records' start (f64, relative to the
 * base), sample width (i16) and length (i32) come from recordColumns' columns. Returns 0 or BAD_HIT_RECORD (rows
 * then unchanged).
 */
export function integrationBounds(
  hits: usize, n: i32, hitSize: usize, hTimeAt: usize, hLengthAt: usize, hDtAt: usize, hRecordAt: usize, hChannelAt: usize, leftAt: usize, rightAt: usize,
  nRecords: i32, columnStart: usize, columnDt: usize, columnLength: usize,
  base: i64, exStart: usize, exEnd: usize, nExcluded: i32, left: f64, right: f64, insideRecord: bool, scratch: usize,
): i32 {
  const lastOfChannel = scratch;
  const lo = lastOfChannel + 4 * 65536;
  const hi = lo + (<usize>n << 3);
  const recordStart = hi + (<usize>n << 3);
  const recordDt = recordStart + (<usize>n << 3);
  for (let i = 0; i < n; i++) {
    const r = load<i32>(hits + <usize>i * hitSize + hRecordAt);
    if (r < 0 || r >= nRecords) return BAD_HIT_RECORD;
  }
  memory.fill(lastOfChannel, 0xff, 4 * 65536);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const h = hits + <usize>i * hitSize;
    const t = <f64>(load<i64>(h + hTimeAt) - base);
    const end = t + <f64>load<i32>(h + hLengthAt) * <f64>load<i16>(h + hDtAt);
    const r = <usize>load<i32>(h + hRecordAt);
    const rt = load<f64>(columnStart + (r << 3));
    const dt = load<i16>(columnDt + (r << 1));
    store<f64>(recordStart + (<usize>i << 3), rt);
    store<i16>(recordDt + (<usize>i << 1), dt);
    while (k < nExcluded && load<f64>(exStart + (<usize>k << 3)) < t) k++;
    let a = max(k > 0 ? load<f64>(exEnd + (<usize>(k - 1) << 3)) : -Infinity, t - left);
    let b = min(k < nExcluded ? load<f64>(exStart + (<usize>k << 3)) : Infinity, end + right);
    if (insideRecord) {
      a = max(a, rt);
      b = min(b, rt + <f64>load<i32>(columnLength + (r << 2)) * <f64>dt);
    }
    const c = lastOfChannel + (<usize>(<i32>load<i16>(h + hChannelAt) + 32768) << 2);
    const prev = load<i32>(c);
    if (prev >= 0) {
      const p = hi + (<usize>prev << 3);
      store<f64>(p, min(load<f64>(p), t));
      a = max(load<f64>(p), a);
    }
    store<i32>(c, i);
    store<f64>(lo + (<usize>i << 3), a);
    store<f64>(hi + (<usize>i << 3), b);
  }
  for (let i = 0; i < n; i++) {
    const h = hits + <usize>i * hitSize;
    const rs = load<f64>(recordStart + (<usize>i << 3));
    const dt = <f64>load<i16>(recordDt + (<usize>i << 1));
    store<i16>(h + leftAt, <i16>toInt32(Math.floor((load<f64>(lo + (<usize>i << 3)) - rs) / dt)));
    store<i16>(h + rightAt, <i16>toInt32(Math.floor((load<f64>(hi + (<usize>i << 3)) - rs) / dt)));
  }
  return 0;
}
