// Decoded chunks with free bytes before their rows. The overlap stage carries a few rows from one segment into the
// next (rows within its window of the cut) and needs them right before the next segment's rows, in one buffer: with
// room there it copies those few rows in front instead of copying the whole segment after them.

/** Where the rows start in each buffer made here: every byte before that is free, until prependInPlace uses it. */
const rowsStart = new WeakMap<ArrayBufferLike, number>();

/** Room for the carried rows: a window of a few hundred µs to a few ms holds kB; past this, the stage copies. */
export const HEADROOM_BYTES = 1 << 20;

/**
 * A buffer of `bytes` bytes for a decoded chunk, with HEADROOM_BYTES free before it. Not zeroed: the decoder writes
 * every byte of the rows, and prependInPlace every byte of the room it hands out.
 */
export function withHeadroom(bytes: number): Uint8Array {
  return rowsAfterRoom(Buffer.allocUnsafeSlow(HEADROOM_BYTES + bytes).buffer, bytes);
}

/**
 * withHeadroom in memory shared with worker threads: the rows reach them without a copy (ownBuffers) while this
 * thread keeps its views. Nobody writes the rows once decoded; the room before them is written only here.
 */
export function sharedWithHeadroom(bytes: number): Uint8Array {
  return rowsAfterRoom(new SharedArrayBuffer(HEADROOM_BYTES + bytes), bytes);
}

function rowsAfterRoom(buffer: ArrayBufferLike, bytes: number): Uint8Array {
  rowsStart.set(buffer, HEADROOM_BYTES);
  return new Uint8Array(buffer, HEADROOM_BYTES, bytes);
}

/**
 * `prefix` followed by `rows` as one view, made by copying `prefix` into the free bytes right before `rows`: only when
 * `rows` begins where a withHeadroom buffer's rows begin and the room is enough (undefined otherwise, so the caller
 * copies). The room is used once: nothing else writes there, and a later call on the same buffer gives undefined.
 */
export function prependInPlace(prefix: Uint8Array, rows: Uint8Array): Uint8Array | undefined {
  const start = rowsStart.get(rows.buffer);
  if (start === undefined || rows.byteOffset !== start || prefix.length > start) return undefined;
  rowsStart.delete(rows.buffer);
  const joined = new Uint8Array(rows.buffer, start - prefix.length, prefix.length + rows.length);
  joined.set(prefix);
  return joined;
}
