// straxen's hitlets in WebAssembly (part of the records-kernels module): hits inside peaks moved to their integration
// window, sorted by (time, channel), and clipped to the chunk, as the columns sum_waveform reads. toHitlets and
// hitletColumns in src/strax/plugins/kernels/peaklet-recipe.ts are the JavaScript reference; every step here is one of
// their double steps.
import { toInt32 } from './js-numbers';

/**
 * The columns of the `n` hit rows at `hits` as hitlets, in (time, channel) order (stable): time (f64, relative to the
 * base), length (i32), record (i32), left and right integration (i16), channel (i16) and end (f64) at the given
 * places; the order (i32 row indices) at `order`; `keys` is 16·n bytes of scratch. The order comes from an insertion
 * sort that gives up after 16 moves per hit on average (-1 then: the caller sorts otherwise); returns the longest
 * hitlet's length otherwise.
 */
export function hitletColumns(
  hits: usize, n: i32, hitSize: usize, hTimeAt: usize, hLeftAt: usize, hLeftIntegrationAt: usize, hRightIntegrationAt: usize, hDtAt: usize, hChannelAt: usize, hRecordAt: usize,
  base: i64, clipStart: f64, clipEnd: f64, time: usize, length: usize, record: usize, left: usize, right: usize, channel: usize, end: usize, order: usize, keys: usize,
): f64 {
  const unsortedTime = keys + (<usize>n << 3);
  for (let i = 0; i < n; i++) {
    const h = hits + <usize>i * hitSize;
    const li = <f64>load<i16>(h + hLeftIntegrationAt);
    const t = <f64>(load<i64>(h + hTimeAt) - base) - (<f64>load<i16>(h + hLeftAt) - li) * <f64>load<i16>(h + hDtAt);
    store<f64>(unsortedTime + (<usize>i << 3), t);
    const key = t * 4096 + <f64>load<i16>(h + hChannelAt);
    // Insertion into the sorted prefix of keys (kept beside the order, so the comparisons read memory in sequence).
    let j = i;
    while (j > 0 && load<f64>(keys + (<usize>(j - 1) << 3)) > key) {
      store<f64>(keys + (<usize>j << 3), load<f64>(keys + (<usize>(j - 1) << 3)));
      store<i32>(order + (<usize>j << 2), load<i32>(order + (<usize>(j - 1) << 2)));
      j--;
    }
    store<f64>(keys + (<usize>j << 3), key);
    store<i32>(order + (<usize>j << 2), i);
    moves += <i64>(i - j);
    if (moves > 16 * <i64>n) {
      moves = 0;
      return -1;
    }
  }
  moves = 0;
  let maxLength: f64 = 0;
  for (let k = 0; k < n; k++) {
    const i = load<i32>(order + (<usize>k << 2));
    const h = hits + <usize>i * hitSize;
    const dt = <f64>load<i16>(h + hDtAt);
    let t = load<f64>(unsortedTime + (<usize>i << 3));
    let len = <f64>(<i32>load<i16>(h + hRightIntegrationAt) - <i32>load<i16>(h + hLeftIntegrationAt));
    if (t < clipStart) t = clipStart;
    if (t + len * dt > clipEnd) len = Math.floor((clipEnd - t) / dt);
    store<f64>(time + (<usize>k << 3), t);
    store<i32>(length + (<usize>k << 2), toInt32(len));
    store<f64>(end + (<usize>k << 3), t + len * dt);
    store<i32>(record + (<usize>k << 2), load<i32>(h + hRecordAt));
    store<i16>(left + (<usize>k << 1), load<i16>(h + hLeftIntegrationAt));
    store<i16>(right + (<usize>k << 1), load<i16>(h + hRightIntegrationAt));
    store<i16>(channel + (<usize>k << 1), load<i16>(h + hChannelAt));
    if (len > maxLength) maxLength = len;
  }
  return maxLength;
}

let moves: i64 = 0;
