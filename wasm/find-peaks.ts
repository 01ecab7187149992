// strax.find_peaks in WebAssembly (part of the records-kernels module, though it reads only hits): hits sorted by time
// grouped into peaks by a gap threshold, extended left and right, with area, area per channel, n_hits and max_gap.
// findPeaks in src/strax/plugins/kernels/find-peaks.ts is the JavaScript reference; every step here is one of its
// double steps, rounded to float32 where it stores into a float32.
import { toInt32 } from './js-numbers';

// Hit and peak row fields (configureFindPeaks).
let hitSize: usize = 0;
let hitTime: usize = 0;
let hitLength: usize = 0;
let hitDt: usize = 0;
let hitChannel: usize = 0;
let hitArea: usize = 0;
let peakSize: usize = 0;
let peakTime: usize = 0;
let peakLength: usize = 0;
let peakDt: usize = 0;
let peakChannel: usize = 0;
let peakArea: usize = 0;
let peakAreaPerChannel: usize = 0;
let peakNHits: usize = 0;
let peakMaxGap: usize = 0;
let sumChannel: i16 = 0;

export function configureFindPeaks(hSize: usize, hTime: usize, hLength: usize, hDt: usize, hChannel: usize, hArea: usize, pSize: usize, pTime: usize, pLength: usize, pDt: usize, pChannel: usize, pArea: usize, pAreaPerChannel: usize, pNHits: usize, pMaxGap: usize, digitalSumChannel: i16): void {
  hitSize = hSize;
  hitTime = hTime;
  hitLength = hLength;
  hitDt = hDt;
  hitChannel = hChannel;
  hitArea = hArea;
  peakSize = pSize;
  peakTime = pTime;
  peakLength = pLength;
  peakDt = pDt;
  peakChannel = pChannel;
  peakArea = pArea;
  peakAreaPerChannel = pAreaPerChannel;
  peakNHits = pNHits;
  peakMaxGap = pMaxGap;
  sumChannel = digitalSumChannel;
}

/** Where findPeaksFrom stopped: the first hit of the peak that found no room (or n when all are done). */
let resumeAt: i32 = 0;
/** The channel of the hit that findPeaksFrom refused, when it returned BAD_CHANNEL. */
let badChannel: i32 = 0;

export function resumeHit(): i32 {
  return resumeAt;
}

export function refusedChannel(): i32 {
  return badChannel;
}

/** findPeaksFrom's result for a hit whose channel has no to_pe (refusedChannel() tells which). */
export const BAD_CHANNEL: i32 = -1;

/**
 * Peaks from hits first…n−1 (first starting a peak) into rows at `out` (room for `capacity`, zero-filled here), each
 * hit's [time, endtime) relative to the base into the doubles at `starts` / `ends`. nChannels is to_pe's length and
 * area_per_channel's. Scratch: `apc` (4·nChannels bytes, zero), `list` (4·nChannels), `member` (nChannels, zero); they
 * are left zero. Returns the rows written; resumeHit() says where to go on when the room ran out.
 */
export function findPeaksFrom(
  hits: usize, n: i32, first: i32, base: i64, toPe: usize, nChannels: i32, gapThreshold: f64, leftExtension: f64, rightExtension: f64,
  minArea: f64, minChannels: f64, maxDuration: f64, starts: usize, ends: usize, out: usize, capacity: i32, apc: usize, list: usize, member: usize,
): i32 {
  let rows = 0;
  let pTime: f64 = 0;
  let area: f32 = 0;
  let nHits: i32 = 0;
  let maxGap: f64 = 0;
  let peakEnd: f64 = 0;
  let inPeak = false;
  let peakFirst = first;
  let touched = 0;
  let t0: f64 = first < n ? <f64>(load<i64>(hits + <usize>first * hitSize + hitTime) - base) : 0;
  for (let i = first; i < n; i++) {
    const h = hits + <usize>i * hitSize;
    const dt = <f64>load<i16>(h + hitDt);
    const t1 = t0 + dt * <f64>load<i32>(h + hitLength);
    store<f64>(starts + (<usize>i << 3), t0);
    store<f64>(ends + (<usize>i << 3), t1);
    const ch = <i32>load<i16>(h + hitChannel);
    if (!(ch >= 0 && ch < nChannels)) {
      badChannel = ch;
      clearChannels(apc, list, member, touched);
      return BAD_CHANNEL;
    }
    if (inPeak) maxGap = max(maxGap, t0 - peakEnd);
    else {
      touched = clearChannels(apc, list, member, touched);
      peakEnd = t1;
      pTime = t0 - leftExtension;
      nHits = 0;
      area = 0;
      maxGap = 0;
      inPeak = true;
      peakFirst = i;
    }
    nHits++;
    peakEnd = max(peakEnd, t1);
    const pe = <f64>load<f32>(h + hitArea) * load<f64>(toPe + (<usize>ch << 3));
    const a = apc + (<usize>ch << 2);
    store<f32>(a, <f32>(<f64>load<f32>(a) + pe));
    if (load<u8>(member + <usize>ch) == 0) {
      store<u8>(member + <usize>ch, 1);
      store<i32>(list + (<usize>touched << 2), ch);
      touched++;
    }
    area = <f32>(<f64>area + pe);
    // This hit ends the peak if it is the last, the next one is a gap away, or including it would exceed max_duration.
    let last = i == n - 1;
    if (!last) {
      const next = h + hitSize;
      const tNext = <f64>(load<i64>(next + hitTime) - base);
      const span = tNext - pTime + <f64>load<i16>(next + hitDt) * <f64>load<i32>(next + hitLength) + leftExtension + rightExtension;
      last = tNext - peakEnd >= gapThreshold || span > maxDuration;
      t0 = tNext;
    }
    if (!last) continue;
    inPeak = false;
    if (<f64>area < minArea) continue;
    let nonzero = 0;
    for (let q = 0; q < touched; q++) if (load<f32>(apc + (<usize>load<i32>(list + (<usize>q << 2)) << 2)) != 0) nonzero++;
    if (<f64>nonzero < minChannels) continue;
    if (rows == capacity) {
      resumeAt = peakFirst;
      clearChannels(apc, list, member, touched);
      return rows;
    }
    const row = out + <usize>rows * peakSize;
    memory.fill(row, 0, peakSize);
    store<i64>(row + peakTime, base + <i64>pTime);
    store<i32>(row + peakLength, toInt32(Math.trunc((peakEnd - pTime + rightExtension) / dt)));
    store<i32>(row + peakDt, <i32>dt);
    store<i16>(row + peakChannel, sumChannel);
    store<f32>(row + peakArea, area);
    memory.copy(row + peakAreaPerChannel, apc, <usize>nChannels << 2);
    store<i32>(row + peakNHits, nHits);
    store<i32>(row + peakMaxGap, toInt32(maxGap));
    rows++;
  }
  clearChannels(apc, list, member, touched);
  resumeAt = n;
  return rows;
}

/** Zero the touched channels' areas and forget them; returns 0 (the new count). */
function clearChannels(apc: usize, list: usize, member: usize, touched: i32): i32 {
  for (let q = 0; q < touched; q++) {
    const ch = <usize>load<i32>(list + (<usize>q << 2));
    store<f32>(apc + (ch << 2), 0);
    store<u8>(member + ch, 0);
  }
  return 0;
}
