// Decoded chunks with free bytes before their rows. The overlap stage carries a few rows from one segment into the
// next (rows within its window of the cut) and needs them right before the next segment's rows, in one buffer: with
// room there it copies those few rows in front instead of copying the whole segment after them.
import { BufferPool } from '../../util/buffer-pool.js';

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

/**
 * Buffers for one stored dataset's decoded chunks (withHeadroom's layout), each used again for a later chunk once
 * nothing holds a view of it. Otherwise every chunk is decoded into fresh memory, which the kernel maps in page by
 * page as zstd writes it: ~15 % of the decode's time on the parity bench's records. `holds` must know every holder of
 * the rows: the segment slicer, the overlap stage's carry, the product writers. So the engine uses a pool only where
 * every plugin is daqflow's own (they keep no view of an input once compute() returns) and runs on the main thread
 * (worker threads may hold views the predicate cannot see).
 */
export class DecodedChunkPool {
  private readonly pool: BufferPool;
  private issued: Uint8Array[] = [];
  /** Chunks decoded into a buffer used before (tests read it). */
  reused = 0;

  /**
   * `largestChunk`: the dataset's largest decoded chunk (from its metadata). Every buffer is made that large, so any
   * chunk fits any buffer nobody holds; pages past a smaller chunk's end are never touched, so never mapped in.
   */
  constructor(
    private readonly holds: (buffer: ArrayBufferLike) => boolean,
    largestChunk = 0,
  ) {
    this.pool = new BufferPool(FREE_DECODED_BYTES, (bytes) => new Uint8Array(Buffer.allocUnsafeSlow(Math.max(bytes, HEADROOM_BYTES + largestChunk)).buffer));
  }

  /** A buffer for a chunk of `bytes` decoded bytes, with the room before them (as withHeadroom). */
  readonly take = (bytes: number): Uint8Array => {
    // Every buffer nobody holds any more goes back first, so the chunk can have one of them.
    this.issued = this.issued.filter((whole) => {
      if (this.holds(whole.buffer)) return true;
      this.pool.give(whole);
      return false;
    });
    const free = this.pool.freeByteCount;
    const whole = this.pool.take(HEADROOM_BYTES + bytes);
    if (this.pool.freeByteCount < free) this.reused++;
    this.issued.push(whole);
    return rowsAfterRoom(whole.buffer, bytes);
  };
}

/** Free decoded-chunk buffers a pool keeps: two chunks of strax's default target size (200 MB). */
const FREE_DECODED_BYTES = 2 * (200e6 + HEADROOM_BYTES);
