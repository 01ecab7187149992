// strax.find_hits over records in WebAssembly, compiled by AssemblyScript (`npm run build:wasm`), with the integration
// windows of find_hit_integration_bounds (inside the record) set while the hits are found. The caller
// (src/strax/plugins/kernels/find-hits-wasm.ts) lays out the memory it imports and passes the field offsets of both
// dtypes, read by name from them; the JavaScript findHits in find-hits.ts computes the same rows and is the fallback.
//
// Most samples are baseline noise below the threshold, so the time goes into finding the next sample at or above it:
// eight samples are compared at once (SIMD), and the first one found is the lowest bit of the comparison's mask.

// Field offsets within a record and within a hit row, set once by configure().
let recTime: usize = 0;
let recLength: usize = 0;
let recDt: usize = 0;
let recChannel: usize = 0;
let recBaseline: usize = 0;
let recData: usize = 0;
let recSize: usize = 0;
let recSamples: i32 = 0;
let hitTime: usize = 0;
let hitLength: usize = 0;
let hitDt: usize = 0;
let hitChannel: usize = 0;
let hitArea: usize = 0;
let hitLeft: usize = 0;
let hitRight: usize = 0;
let hitLeftIntegration: usize = 0;
let hitRightIntegration: usize = 0;
let hitRecord: usize = 0;
let hitThreshold: usize = 0;
let hitHeight: usize = 0;
let hitMaxTime: usize = 0;
let hitSize: usize = 0;

export function configureRecords(time: usize, length: usize, dt: usize, channel: usize, baseline: usize, data: usize, size: usize, samples: i32): void {
  recTime = time;
  recLength = length;
  recDt = dt;
  recChannel = channel;
  recBaseline = baseline;
  recData = data;
  recSize = size;
  recSamples = samples;
}

export function configureHits(time: usize, length: usize, dt: usize, channel: usize, area: usize, left: usize, right: usize, leftIntegration: usize, rightIntegration: usize, record: usize, threshold: usize, height: usize, maxTime: usize, size: usize): void {
  hitTime = time;
  hitLength = length;
  hitDt = dt;
  hitChannel = channel;
  hitArea = area;
  hitLeft = left;
  hitRight = right;
  hitLeftIntegration = leftIntegration;
  hitRightIntegration = rightIntegration;
  hitRecord = record;
  hitThreshold = threshold;
  hitHeight = height;
  hitMaxTime = maxTime;
  hitSize = size;
}

// The integration windows' state per channel (index channel + 32768), in memory from `tables` (TABLES_BYTES long):
// the row of the channel's last hit, whose right bound waits for the next hit of that channel (or −1), its window's
// end, its record's start and sample width; and the channels touched since the last finishWindows().
const CHANNELS: usize = 65536;
const PENDING: usize = 0;
const HI: usize = PENDING + 4 * CHANNELS;
const RECORD_START: usize = HI + 8 * CHANNELS;
const DT: usize = RECORD_START + 8 * CHANNELS;
const TOUCHED: usize = DT + 4 * CHANNELS;
export const TABLES_BYTES: usize = TOUCHED + 4 * CHANNELS;

let tables: usize = 0;
let nTouched: usize = 0;
/** The record findHits stopped before because the output was full (the number of records when it finished). */
let resumeAt: i32 = 0;

export function resumeRecord(): i32 {
  return resumeAt;
}

/** Clears the window state at `at` (TABLES_BYTES of memory): no channel has a pending hit. */
export function resetWindows(at: usize): void {
  tables = at;
  memory.fill(at + PENDING, 0xff, 4 * CHANNELS);
  nTouched = 0;
}

/** Python's floor division for the bound of a window starting `offset` ns into its record (0 for a record without dt). */
@inline function samplesInto(offset: i64, dt: i64): i16 {
  if (dt == 0) return 0;
  let q = offset / dt;
  if (offset % dt != 0 && (offset < 0) != (dt < 0)) q--;
  return <i16>q;
}

/**
 * Finds the hits of records [from, n) (records at `records`, `n` in all, the first being record `first` of the chunk)
 * whose samples reach `threshold`, writing rows from row `nh` at `out` and their sort keys `(time − base)·4096 +
 * channel` (as doubles) at `keys`, for at most `cap` rows in all. With `windows`, the integration windows are set too
 * (`left`/`right`: save_outside_hits in ns). Returns the number of rows written, and stops before a record whose hits
 * might not fit (resumeRecord() tells which); returns −1 − i for a record i (of these `n`) whose length is negative or
 * longer than its data field.
 */
export function findHits(records: usize, n: i32, from: i32, first: i32, threshold: f64, base: i64, out: usize, keys: usize, nh: i32, cap: i32, windows: bool, left: i64, right: i64): i32 {
  const size = recSize;
  const samples = recSamples;
  const perRecord = (samples + 1) >> 1;
  // The lanes compare with the smallest integer sample that reaches the threshold, kept within int16: −32768 (every
  // sample reaches it) or, above 32767 (or NaN), no sample does.
  const lowest = Math.ceil(threshold);
  const thr = i16x8.splat(<i16>(lowest < -32768 ? -32768 : lowest > 32767 ? 32767 : <i32>lowest));
  const unreachable = !(lowest <= 32767);
  for (let i = from; i < n; i++) {
    if (nh + perRecord > cap) {
      resumeAt = i;
      return nh;
    }
    const r = records + <usize>i * size;
    const length = load<i32>(r + recLength);
    if (length < 0 || length > samples) return -1 - i;
    const d0 = r + recData;
    let j = unreachable ? length : nextAtOrAbove(d0, 0, length, thr);
    while (j < length) {
      const start = j;
      let sum: i32 = 0;
      let height: i32 = 0;
      let imax = j;
      for (; j < length; j++) {
        const x = <i32>load<i16>(d0 + (<usize>j << 1));
        if (<f64>x < threshold) break;
        sum += x;
        if (x > height) {
          height = x;
          imax = j;
        }
      }
      writeHit(r, out + <usize>nh * hitSize, keys + (<usize>nh << 3), first + i, start, j, sum, height, imax, threshold, base, windows, left, right);
      nh++;
      j = nextAtOrAbove(d0, j, length, thr);
    }
  }
  resumeAt = n;
  return nh;
}

/**
 * The first sample index ≥ `from` whose value reaches the threshold, eight samples per comparison; or an index at or
 * past `length` when there is none (the last comparison may find bytes past the record's length, which the caller's
 * `j < length` then ignores: they come after every sample that counts).
 */
@inline function nextAtOrAbove(d0: usize, from: i32, length: i32, thr: v128): i32 {
  for (let j = from; j < length; j += 8) {
    const mask = i16x8.bitmask(i16x8.ge_s(v128.load(d0 + (<usize>j << 1)), thr));
    if (mask != 0) return j + ctz(mask);
  }
  return length;
}

function writeHit(r: usize, o: usize, key: usize, record: i32, left: i32, right: i32, sum: i32, height: i32, imax: i32, threshold: f64, base: i64, windows: bool, saveLeft: i64, saveRight: i64): void {
  const dt = <i64>load<i16>(r + recDt);
  const ch = <i32>load<i16>(r + recChannel);
  const baseline = <f64>load<f32>(r + recBaseline);
  const fpart = baseline - Math.floor(baseline);
  const rt = load<i64>(r + recTime);
  const length = right - left;
  const t = rt + <i64>left * dt;
  const end = rt + <i64>right * dt;
  store<i64>(o + hitTime, t);
  store<i32>(o + hitLength, length);
  store<i16>(o + hitDt, <i16>dt);
  store<i16>(o + hitChannel, <i16>ch);
  store<f32>(o + hitArea, <f32>(<f64>sum + <f64>length * fpart));
  store<i16>(o + hitLeft, <i16>left);
  store<i16>(o + hitRight, <i16>right);
  store<i16>(o + hitLeftIntegration, 0);
  store<i16>(o + hitRightIntegration, 0);
  store<i32>(o + hitRecord, record);
  store<f32>(o + hitThreshold, <f32>threshold);
  store<f32>(o + hitHeight, <f32>(<f64>height + fpart));
  store<i64>(o + hitMaxTime, rt + <i64>imax * dt);
  store<f64>(key, <f64>((t - base) * 4096 + <i64>ch));
  if (windows) addWindow(o, ch, t, end, rt, rt + <i64>load<i32>(r + recLength) * dt, dt, saveLeft, saveRight);
}

/**
 * The hit at `o` starts its window at max(record start, t − left, the previous hit's window end of the channel) and
 * fixes that previous hit's right bound at min(its window end, t); its own right bound waits for the channel's next hit.
 */
function addWindow(o: usize, ch: i32, t: i64, end: i64, rt: i64, recordEnd: i64, dt: i64, saveLeft: i64, saveRight: i64): void {
  const c = tables + (<usize>(ch + 32768) << 2);
  const c8 = tables + (<usize>(ch + 32768) << 3);
  let lo = max(rt, t - saveLeft);
  const hi = min(recordEnd, end + saveRight);
  const prev = load<i32>(c + PENDING);
  if (prev >= 0) {
    const prevHi = min(load<i64>(c8 + HI), t);
    const prevRow = out0 + <usize>prev * hitSize;
    store<i16>(prevRow + hitRightIntegration, samplesInto(prevHi - load<i64>(c8 + RECORD_START), <i64>load<i32>(c + DT)));
    lo = max(prevHi, lo);
  } else {
    store<i32>(tables + TOUCHED + (nTouched << 2), ch + 32768);
    nTouched++;
  }
  store<i16>(o + hitLeftIntegration, samplesInto(lo - rt, dt));
  store<i32>(c + PENDING, <i32>((o - out0) / hitSize));
  store<i64>(c8 + HI, hi);
  store<i64>(c8 + RECORD_START, rt);
  store<i32>(c + DT, <i32>dt);
}

/** The rows' start, for the pending rows' indices (set by setOutput before findHits is called with windows). */
let out0: usize = 0;

export function setOutput(out: usize): void {
  out0 = out;
}

/** Writes the right bound of each channel's last hit and forgets them (once all records are done). */
export function finishWindows(): void {
  for (let q: usize = 0; q < nTouched; q++) {
    const ch = load<i32>(tables + TOUCHED + (q << 2));
    const c = tables + (<usize>ch << 2);
    const c8 = tables + (<usize>ch << 3);
    const row = out0 + <usize>load<i32>(c + PENDING) * hitSize;
    store<i16>(row + hitRightIntegration, samplesInto(load<i64>(c8 + HI) - load<i64>(c8 + RECORD_START), <i64>load<i32>(c + DT)));
    store<i32>(c + PENDING, -1);
  }
  nTouched = 0;
}

/**
 * strax.sort_by_time of the `n` rows at `rows` by their keys (doubles at `keys`): writes them to `out` in ascending key
 * order, ties in row order (stable), and returns 1; or returns 0, writing nothing, when a key is not an integer in
 * [0, 2⁴⁸) (the caller sorts those by comparison). Three stable counting passes of 16-bit digits (least significant
 * first) order row indices in `order` (8·n bytes of scratch) using `count` (4·65537 bytes); the keys are overwritten
 * by their integer values.
 */
export function sortRows(rows: usize, keys: usize, n: i32, out: usize, order: usize, count: usize): i32 {
  let sorted = true;
  let previous: f64 = -1;
  for (let i = 0; i < n; i++) {
    const k = load<f64>(keys + (<usize>i << 3));
    if (!(k >= 0 && k < 281474976710656.0) || Math.floor(k) != k) return 0;
    if (k < previous) sorted = false;
    previous = k;
  }
  const size = hitSize;
  if (sorted) {
    memory.copy(out, rows, <usize>n * size);
    return 1;
  }
  for (let i = 0; i < n; i++) {
    const at = keys + (<usize>i << 3);
    store<i64>(at, <i64>load<f64>(at));
  }
  let src = order;
  let dst = order + (<usize>n << 2);
  for (let i = 0; i < n; i++) store<i32>(src + (<usize>i << 2), i);
  for (let shift: i64 = 0; shift < 48; shift += 16) {
    memory.fill(count, 0, 4 * 65537);
    for (let q = 0; q < n; q++) {
      const c = count + ((digit(keys, load<i32>(src + (<usize>q << 2)), shift) + 1) << 2);
      store<i32>(c, load<i32>(c) + 1);
    }
    for (let d: usize = 1; d < 65537; d++) store<i32>(count + (d << 2), load<i32>(count + (d << 2)) + load<i32>(count + ((d - 1) << 2)));
    for (let q = 0; q < n; q++) {
      const i = load<i32>(src + (<usize>q << 2));
      const c = count + (digit(keys, i, shift) << 2);
      const slot = load<i32>(c);
      store<i32>(c, slot + 1);
      store<i32>(dst + (<usize>slot << 2), i);
    }
    const t = src;
    src = dst;
    dst = t;
  }
  for (let k = 0; k < n; k++) {
    const from = rows + <usize>load<i32>(src + (<usize>k << 2)) * size;
    const to = out + <usize>k * size;
    for (let b: usize = 0; b < size; b += 16) v128.store(to + b, v128.load(from + b)); // rows are whole 16-byte lanes
  }
  return 1;
}

/** The 16-bit digit of row i's integer key from bit `shift`. */
@inline function digit(keys: usize, i: i32, shift: i64): usize {
  return <usize>((load<i64>(keys + (<usize>i << 3)) >> shift) & 0xffff);
}
