import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/util/buffer-pool.js';
import { lz4DecodeBuffer } from '../../src/strax/compress/lz4-into.js';

describe('BufferPool', () => {
  it('gives a returned buffer out again, best fit first, as a view of exactly the size asked', () => {
    const pool = new BufferPool(10_000);
    const big = pool.take(4000);
    const small = pool.take(1000);
    expect(big.length).toBe(4000);
    pool.give(big);
    pool.give(small);
    expect(pool.freeByteCount).toBe(5000);
    const again = pool.take(900);
    expect(again.buffer).toBe(small.buffer);
    expect(again.length).toBe(900);
    expect(pool.take(3000).buffer).toBe(big.buffer);
    expect(pool.freeByteCount).toBe(0);
    expect(pool.take(100).buffer).not.toBe(small.buffer); // nothing free: a new one
  });

  it('keeps no more than its limit free, ignores buffers it did not issue, and never holds one twice', () => {
    const pool = new BufferPool(5000);
    const a = pool.take(3000);
    const b = pool.take(3000);
    pool.give(a);
    pool.give(b); // over the limit: dropped
    expect(pool.freeByteCount).toBe(3000);
    pool.give(a);
    expect(pool.freeByteCount).toBe(3000);
    pool.give(new Uint8Array(100));
    pool.give(Buffer.alloc(100));
    expect(pool.freeByteCount).toBe(3000);
    expect(pool.take(3000).buffer).toBe(a.buffer);
    expect(pool.take(3000).buffer).not.toBe(a.buffer);
  });

  it('fits by the size a buffer was made for, not by its memory, and counts whole memories against its limit', () => {
    // LZ4 decode buffers: a 100 kB output in a memory with room for its frame (~200 kB, in 64 kB pages).
    const pool = new BufferPool(1e6, lz4DecodeBuffer);
    const a = pool.take(100_000);
    expect(a.byteOffset).toBe(0);
    expect(a.buffer.byteLength).toBeGreaterThan(150_000);
    pool.give(a);
    expect(pool.freeByteCount).toBe(a.buffer.byteLength);
    expect(pool.take(150_000).buffer).not.toBe(a.buffer); // its memory is large enough, but it was made for 100 kB
    expect(pool.take(100_000).buffer).toBe(a.buffer);
  });

  it('among buffers that fit equally, gives out the one given back last (its memory is the likeliest still in cache)', () => {
    const pool = new BufferPool(1e6);
    const [a, b, c] = [pool.take(1000), pool.take(1000), pool.take(1000)];
    pool.give(a);
    pool.give(b);
    pool.give(c);
    expect(pool.take(1000).buffer).toBe(c.buffer);
    pool.give(c);
    expect(pool.take(500).buffer).toBe(c.buffer);
    expect(pool.take(500).buffer).toBe(b.buffer);
  });
});
