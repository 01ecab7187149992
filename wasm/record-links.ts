// strax.record_links in WebAssembly (part of the records-kernels module): the previous and next record of the same
// pulse, -1 where there is none in the chunk. recordLinks in src/strax/plugins/kernels/record-links.ts is the
// JavaScript reference; the continuation test compares times relative to the base as doubles, as it does.

/**
 * Record i continues the last earlier record j of its channel when its record_i ≠ 0 and time = j.time + samples·dt.
 * Writes int32 prev and next for the `n` records at `records`; `lastOfChannel` is 4·65536 bytes of scratch.
 */
export function linkRecords(records: usize, n: i32, size: usize, timeAt: usize, dtAt: usize, channelAt: usize, recordIAt: usize, samples: i32, base: i64, prev: usize, next: usize, lastOfChannel: usize): void {
  memory.fill(lastOfChannel, 0xff, 4 * 65536);
  memory.fill(prev, 0xff, <usize>n << 2);
  memory.fill(next, 0xff, <usize>n << 2);
  for (let i = 0; i < n; i++) {
    const o = records + <usize>i * size;
    const c = lastOfChannel + (<usize>(<i32>load<i16>(o + channelAt) + 32768) << 2);
    const j = load<i32>(c);
    store<i32>(c, i);
    if (j < 0 || load<i16>(o + recordIAt) == 0) continue;
    const jo = records + <usize>j * size;
    if (<f64>(load<i64>(o + timeAt) - base) != <f64>(load<i64>(jo + timeAt) - base) + <f64>(samples * <i32>load<i16>(jo + dtAt))) continue;
    store<i32>(prev + (<usize>i << 2), j);
    store<i32>(next + (<usize>j << 2), i);
  }
}
