// Reused buffers: decoded chunks of the server's .npy replies (a buffer comes back once the socket has flushed it),
// the DAQ reader's decoded live files (they come back once a chunk's rows are copied out) and the engine's decoded
// stored chunks (once nothing holds their rows: DecodedChunkPool). Memory the kernel has
// already mapped is reused, so a 30 MB reply neither faults in fresh pages nor leaves 30 MB of external memory for the
// garbage collector to find (whose full collections, started by external memory on a small heap, cost 5–7 ms each).

interface Pooled {
  buffer: ArrayBuffer;
  /** The bytes the buffer was made for (its memory may be larger: an LZ4 decode buffer has room for its frame). */
  capacity: number;
}

export class BufferPool {
  private readonly free: Pooled[] = [];
  private freeBytes = 0;
  private readonly issued = new WeakMap<ArrayBuffer, Pooled>();

  /**
   * Free buffers beyond maxFreeBytes (counted in whole memories) are dropped, left to the garbage collector, so the
   * pool never grows unbounded. `allocate` makes a buffer of at least the bytes asked for, as a view from offset 0.
   */
  constructor(
    private readonly maxFreeBytes: number,
    private readonly allocate: (bytes: number) => Uint8Array = (bytes) => new Uint8Array(bytes),
  ) {}

  /**
   * A buffer of exactly `bytes` bytes, whose contents are undefined: from the smallest free one that fits (of equal
   * ones, the one given back last: its memory is the likeliest to be still in cache), else new.
   */
  take(bytes: number): Uint8Array {
    let best = -1;
    for (let i = this.free.length - 1; i >= 0; i--) {
      const capacity = this.free[i]!.capacity;
      if (capacity >= bytes && (best < 0 || capacity < this.free[best]!.capacity)) best = i;
    }
    if (best < 0) {
      const fresh = this.allocate(bytes);
      const buffer = fresh.buffer as ArrayBuffer;
      this.issued.set(buffer, { buffer, capacity: fresh.length });
      return fresh.subarray(0, bytes);
    }
    const [pooled] = this.free.splice(best, 1);
    this.freeBytes -= pooled!.buffer.byteLength;
    return new Uint8Array(pooled!.buffer, 0, bytes);
  }

  /** Gives back a buffer from take() once nothing reads it any more; anything else is ignored. */
  give(view: Uint8Array): void {
    const pooled = view.buffer instanceof ArrayBuffer ? this.issued.get(view.buffer) : undefined;
    if (!pooled || this.free.includes(pooled)) return;
    if (this.freeBytes + pooled.buffer.byteLength > this.maxFreeBytes) return;
    this.free.push(pooled);
    this.freeBytes += pooled.buffer.byteLength;
  }

  get freeByteCount(): number {
    return this.freeBytes;
  }
}
