// Decoded stored chunks reuse the buffers of earlier chunks that nothing holds any more (DecodedChunkPool), and the
// overlap stage its copies of earlier segments' hits: a buffer is handed out again only when no holder (the slicer,
// the overlap stage, the product writers) has a view of it, and the products are byte-identical to fresh buffers'.
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

const pools = vi.hoisted(() => ({ made: [] as Array<{ reused: number }>, poisoned: 0 }));
// Every buffer given back to a pool is overwritten at once: a view someone still held (a holder the pool was not told
// about, a copy given back too early) would then read garbage, and the products would differ from fresh buffers'.
vi.mock('../../src/util/buffer-pool.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/util/buffer-pool.js')>();
  class PoisoningPool extends real.BufferPool {
    override give(view: Uint8Array): void {
      new Uint8Array(view.buffer).fill(0xa5);
      pools.poisoned++;
      super.give(view);
    }
  }
  return { ...real, BufferPool: PoisoningPool };
});
vi.mock('../../src/strax/engine/headroom.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/strax/engine/headroom.js')>();
  class CountedPool extends real.DecodedChunkPool {
    constructor(...args: ConstructorParameters<typeof real.DecodedChunkPool>) {
      super(...args);
      pools.made.push(this);
    }
  }
  return { ...real, DecodedChunkPool: CountedPool };
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
    const live = await makeLiveRun({ sizeMb: 6, rateHz: 30, seed: 21, daq: { daqChunkS: 0.1, daqOverlapS: 0.01 } });
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
        pools.poisoned = 0;
        const store = makeTmpDir();
        fs.cpSync(plan === 'strax' ? strax : daqflow, store, { recursive: true });
        // The overlap stage is asked too: it holds the previous chunk's last rows when the next chunk is decoded.
        const stageHolds = vi.spyOn(OverlapStage.prototype, 'holds');
        // Merged S2s (a 3 ms merge gap joins S2s with the small peaklets after them) are re-summed from the stage's
        // copy of the hits, and a 65 ms window carries records and hits over every cut.
        const options = { s2_merge_gap_threshold: 3_000_000, s2_merge_max_duration: 10_000_000 };
        const summary = await processLive(store, store, ['peaks', 'lone_hits'], { builtinPlugins, options });
        const stageHeld = stageHolds.mock.results.filter((r) => r.value === true).length;
        stageHolds.mockRestore();
        if (builtinPlugins && plan === 'strax') expect(stageHeld).toBeGreaterThan(0);
        expect(summary.loaded).toEqual(['records']);
        const reused = pools.made.reduce((a, p) => a + p.reused, 0);
        if (builtinPlugins) expect(reused).toBeGreaterThan(1);
        else expect(pools.made).toHaveLength(0);
        // Given back: decoded chunks, and the overlap stage's copies of each segment's hits (with the carried ones).
        if (builtinPlugins) expect(pools.poisoned).toBeGreaterThan(reused + 1);
        else expect(pools.poisoned).toBe(0);
        products.push(Object.fromEntries(await Promise.all(['hits', 'peaklets', 'peaks', 'lone_hits'].map(async (t) => [t, await rowsOf(store, t)] as const))));
      }
      expect(products[0]!.peaks!.length).toBeLessThan(products[0]!.peaklets!.length);
      for (const t of Object.keys(products[0]!)) {
        expect(products[0]![t]!.length, t).toBeGreaterThan(0);
        expect(Buffer.compare(Buffer.from(products[1]![t]!), Buffer.from(products[0]![t]!)), t).toBe(0);
      }
    }, 120_000);
  }
});
