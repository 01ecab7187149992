// Decoded stored chunks reuse the buffers of earlier chunks that nothing holds any more (DecodedChunkPool): a buffer
// is handed out again only when no holder (the slicer, the segments in flight, the overlap stage, the product
// writers) has a view of it, and the products are byte-identical to those of fresh buffers.
import fs from 'node:fs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { hitDtype } from '../../src/strax/dtype/standard.js';
import { DecodedChunkPool, HEADROOM_BYTES, prependInPlace } from '../../src/strax/engine/headroom.js';
import { OverlapStage } from '../../src/strax/engine/overlap.js';
import { ProductWriter } from '../../src/strax/engine/product-writer.js';
import { SEGMENTS_KEY, SegmentSlicer } from '../../src/strax/engine/segments.js';
import type { DatasetSaver } from '../../src/strax/storage/saver.js';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { makeTmpDir } from '../support/tmp.js';
import { RUN, makeLiveRun, processLive, rowsOf } from './helpers.js';

const pools = vi.hoisted(() => ({ made: [] as Array<{ reused: number }>, carried: 0 }));
vi.mock('../../src/strax/engine/headroom.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/strax/engine/headroom.js')>();
  // A buffer the pool finds free is overwritten at once: a view someone still held (a holder the pool was not told
  // about) would then read garbage, and the products would differ from those of fresh buffers.
  class PoisoningPool extends real.DecodedChunkPool {
    constructor(holds: (buffer: ArrayBufferLike) => boolean, ...rest: number[]) {
      const poisoning = (buffer: ArrayBufferLike) => {
        const held = holds(buffer);
        if (!held) new Uint8Array(buffer).fill(0xa5);
        return held;
      };
      super(poisoning, ...rest);
      pools.made.push(this);
    }
  }
  return {
    ...real,
    DecodedChunkPool: PoisoningPool,
    // Carried rows put in front of a chunk's records: the stage holds them in the chunk before (a pool must not hand
    // that one out), so the test must see some.
    prependInPlace: (prefix: Uint8Array, rows: Uint8Array) => {
      const joined = real.prependInPlace(prefix, rows);
      if (joined && prefix.length > 0) pools.carried++;
      return joined;
    },
  };
});

describe('DecodedChunkPool', () => {
  it('hands out withHeadroom buffers, and a buffer again only once nothing holds it', () => {
    const held = new Set<ArrayBufferLike>();
    const pool = new DecodedChunkPool((buffer) => held.has(buffer));
    const a = pool.take(100);
    expect(a.byteOffset).toBe(HEADROOM_BYTES);
    expect(a.length).toBe(100);
    held.add(a.buffer);
    const b = pool.take(100);
    expect(b.buffer).not.toBe(a.buffer); // a is held
    held.add(b.buffer);
    expect(pool.take(50).buffer).not.toBe(a.buffer);
    expect(pool.reused).toBe(0);
    held.delete(a.buffer);
    const c = pool.take(80);
    expect(c.buffer).toBe(a.buffer);
    expect(c.byteOffset).toBe(HEADROOM_BYTES);
    expect(c.length).toBe(80);
    expect(pool.reused).toBe(1);
    // The room before the rows is free again for the overlap stage's carried rows.
    expect(prependInPlace(Uint8Array.of(1, 2), c)!.byteOffset).toBe(HEADROOM_BYTES - 2);
  });

  it('makes every buffer as large as the largest chunk, so a larger chunk fits a smaller one’s buffer', () => {
    let holding: ArrayBufferLike | undefined;
    const pool = new DecodedChunkPool((buffer) => buffer === holding, 1000);
    const small = pool.take(10);
    expect(small.buffer.byteLength).toBe(HEADROOM_BYTES + 1000);
    holding = undefined;
    expect(pool.take(1000).buffer).toBe(small.buffer);
    expect(pool.reused).toBe(1);
  });

  it('never hands out a buffer someone holds, whatever the order of takes and releases', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const held = new Set<ArrayBufferLike>();
    const pool = new DecodedChunkPool((buffer) => held.has(buffer), 64);
    const out: Uint8Array[] = [];
    for (let i = 0; i < 500; i++) {
      const rows = pool.take(1 + Math.floor(random() * 64));
      expect(held.has(rows.buffer)).toBe(false);
      held.add(rows.buffer);
      out.push(rows);
      for (const r of out) if (random() < 0.3) held.delete(r.buffer);
    }
    expect(pool.reused).toBeGreaterThan(100);
  });
});

describe('the holders a pool asks', () => {
  const HIT = hitDtype();
  const row = (t: number) => {
    const out = new Uint8Array(HIT.itemsize);
    new DataView(out.buffer).setBigInt64(0, BigInt(t), true);
    return out;
  };

  it('SegmentSlicer: the rows of a chunk it has not handed out yet', async () => {
    const chunk = new Uint8Array(3 * HIT.itemsize);
    [1, 2, 5].forEach((t, i) => chunk.set(row(t), i * HIT.itemsize));
    async function* one() {
      yield { chunkIndex: 0, start: 0n, end: 6n, n: 3, data: chunk };
    }
    const slicer = new SegmentSlicer(one()[Symbol.asyncIterator](), HIT);
    expect(slicer.holds(chunk.buffer)).toBe(false); // not read yet
    await slicer.take(3n);
    expect(slicer.holds(chunk.buffer)).toBe(true); // the row at 5 is still to come
    await slicer.take(6n);
    expect(slicer.holds(chunk.buffer)).toBe(false);
  });

  it('ProductWriter: rows added and not yet compressed, and rows a codec is still compressing', async () => {
    const saver = { saveCompressed: async () => undefined, close: async () => ({}) } as unknown as DatasetSaver;
    let compressed: (frame: Uint8Array) => void = () => undefined;
    const codec = { compressor: 'zstd' as const, compress: () => new Promise<Uint8Array>((resolve) => (compressed = resolve)) };
    const writer = new ProductWriter(saver, HIT, 5e-5, codec); // 50 bytes a chunk: every add closes the previous one
    const [a, b] = [row(1), row(2)];
    await writer.add({ start: 0n, end: 2n, data: a });
    expect(writer.holds(a.buffer)).toBe(true); // added, not compressed
    await writer.add({ start: 2n, end: 3n, data: b });
    expect(writer.holds(a.buffer)).toBe(true); // being compressed
    expect(writer.holds(b.buffer)).toBe(true);
    compressed(new Uint8Array(1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(writer.holds(a.buffer)).toBe(false);
    expect(writer.holds(b.buffer)).toBe(true);
    const finished = writer.finish();
    compressed(new Uint8Array(1));
    await finished;
    expect(writer.holds(b.buffer)).toBe(false);
  });
});

describe('processing stored records with pooled chunk buffers', () => {
  let strax: string;
  let daqflow: string;
  beforeAll(async () => {
    const live = await makeLiveRun({ sizeMb: 6, rateHz: 8, seed: 9, chunkMb: 1.5 });
    daqflow = makeTmpDir();
    await processLive(live, daqflow, ['records'], { chunkTargetMb: 1 });
    const ds = new DataDirectory(daqflow).find(RUN, 'records');
    expect(ds.metadata!.compressor).toBe('zstd');
    expect(ds.metadata!.chunks.length).toBeGreaterThan(3);
    // The same records as strax writes them: no segment plan, so every stored chunk is one segment.
    strax = makeTmpDir();
    fs.cpSync(daqflow, strax, { recursive: true });
    const metadata = JSON.parse(fs.readFileSync(ds.metadataPath!.replace(daqflow, strax), 'utf8'));
    delete metadata[SEGMENTS_KEY];
    fs.writeFileSync(ds.metadataPath!.replace(daqflow, strax), JSON.stringify(metadata));
  }, 120_000);

  for (const plan of ['strax', 'daqflow'] as const) {
    it(`gives the products of fresh buffers (${plan === 'strax' ? 'every stored chunk one segment' : "daqflow's segment plan: segments inside and across stored chunks"})`, async () => {
      const products: Record<string, Uint8Array>[] = [];
      // builtinPlugins says no plugin keeps a view of its inputs: only then are chunk buffers pooled.
      for (const builtinPlugins of [false, true]) {
        pools.made.length = 0;
        pools.carried = 0;
        const store = makeTmpDir();
        fs.cpSync(plan === 'strax' ? strax : daqflow, store, { recursive: true });
        // The overlap stage is asked too: it holds the previous chunk's last rows when the next chunk is decoded.
        const stageHolds = vi.spyOn(OverlapStage.prototype, 'holds');
        const summary = await processLive(store, store, ['peaks', 'lone_hits'], { builtinPlugins });
        const stageHeld = stageHolds.mock.results.filter((r) => r.value === true).length;
        stageHolds.mockRestore();
        if (builtinPlugins && plan === 'strax') expect(stageHeld).toBeGreaterThan(0);
        expect(summary.loaded).toEqual(['records']);
        const reused = pools.made.reduce((a, p) => a + p.reused, 0);
        if (builtinPlugins) expect(reused).toBeGreaterThan(1);
        else expect(pools.made).toHaveLength(0);
        if (plan === 'strax') expect(pools.carried).toBeGreaterThan(1);
        products.push(Object.fromEntries(await Promise.all(['hits', 'peaklets', 'peaks', 'lone_hits'].map(async (t) => [t, await rowsOf(store, t)] as const))));
      }
      for (const t of Object.keys(products[0]!)) {
        expect(products[0]![t]!.length, t).toBeGreaterThan(0);
        expect(Buffer.compare(Buffer.from(products[1]![t]!), Buffer.from(products[0]![t]!)), t).toBe(0);
      }
    }, 120_000);
  }
});
