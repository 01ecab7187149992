// Decoded-chunk buffers shared by the server's .npy replies: a buffer comes back once the socket has flushed it, and
// the next chunk (of any reply) is decoded into it. Memory the kernel has already mapped is reused, so a 30 MB reply
// neither faults in fresh pages nor leaves 30 MB of external memory for the garbage collector to find.

export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  private freeBytes = 0;
  private readonly issued = new WeakSet<ArrayBuffer>();

  /** Free buffers beyond maxFreeBytes are dropped (left to the garbage collector), so the pool never grows unbounded. */
  constructor(private readonly maxFreeBytes: number) {}

  /** A buffer of exactly `bytes` bytes, whose contents are undefined: from the smallest free one that fits, else new. */
  take(bytes: number): Uint8Array {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const size = this.free[i]!.byteLength;
      if (size >= bytes && (best < 0 || size < this.free[best]!.byteLength)) best = i;
    }
    if (best < 0) {
      const fresh = new ArrayBuffer(bytes);
      this.issued.add(fresh);
      return new Uint8Array(fresh);
    }
    const [ab] = this.free.splice(best, 1);
    this.freeBytes -= ab!.byteLength;
    return new Uint8Array(ab!, 0, bytes);
  }

  /** Gives back a buffer from take() once nothing reads it any more; anything else is ignored. */
  give(view: Uint8Array): void {
    const ab = view.buffer;
    if (!(ab instanceof ArrayBuffer) || !this.issued.has(ab) || this.free.includes(ab)) return;
    if (this.freeBytes + ab.byteLength > this.maxFreeBytes) return;
    this.free.push(ab);
    this.freeBytes += ab.byteLength;
  }

  get freeByteCount(): number {
    return this.freeBytes;
  }
}
