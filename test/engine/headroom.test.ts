// Room before decoded rows: the overlap stage copies its few carried rows in front of a stored chunk's first segment
// instead of copying the whole segment after them. The products must be byte-identical to the copying path's, and
// the room must be used only where it is free.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { HEADROOM_BYTES, prependInPlace, withHeadroom } from '../../src/strax/engine/headroom.js';
import { SEGMENTS_KEY } from '../../src/strax/engine/segments.js';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { makeTmpDir } from '../support/tmp.js';
import { RUN, makeLiveRun, processLive, rowsOf } from './helpers.js';

const headroom = vi.hoisted(() => ({ enabled: true, used: 0 }));
vi.mock('../../src/strax/engine/headroom.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/strax/engine/headroom.js')>();
  return {
    ...real,
    prependInPlace: (prefix: Uint8Array, rows: Uint8Array) => {
      if (!headroom.enabled) return undefined;
      const joined = real.prependInPlace(prefix, rows);
      if (joined) headroom.used++;
      return joined;
    },
  };
});

describe('withHeadroom and prependInPlace', () => {
  it('puts the prefix right before the rows, in their buffer, once', () => {
    const rows = withHeadroom(10);
    rows.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const joined = prependInPlace(Uint8Array.of(41, 42, 43), rows)!;
    expect([...joined]).toEqual([41, 42, 43, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(joined.buffer).toBe(rows.buffer);
    expect(joined.byteOffset + 3).toBe(rows.byteOffset);
    // The room is spent: a second prefix would overwrite rows someone holds.
    expect(prependInPlace(Uint8Array.of(7), rows)).toBeUndefined();
    expect([...joined.subarray(0, 3)]).toEqual([41, 42, 43]);
  });

  it('refuses rows that do not start the buffer, plain buffers, and prefixes larger than the room', () => {
    const rows = withHeadroom(8);
    expect(prependInPlace(Uint8Array.of(1), rows.subarray(4))).toBeUndefined(); // a later segment of the chunk
    expect(prependInPlace(Uint8Array.of(1), new Uint8Array(8))).toBeUndefined();
    expect(prependInPlace(new Uint8Array(HEADROOM_BYTES + 1), rows)).toBeUndefined();
    // None of the refusals spent the room.
    expect(prependInPlace(new Uint8Array(HEADROOM_BYTES).fill(3), rows)!.length).toBe(HEADROOM_BYTES + 8);
  });
});

describe('the overlap stage on stored chunks with room before them', () => {
  let records: string;
  beforeAll(async () => {
    const live = await makeLiveRun({ sizeMb: 6, rateHz: 8, seed: 5, chunkMb: 1.5 });
    records = makeTmpDir();
    await processLive(live, records, ['records'], { chunkTargetMb: 1 });
    // As strax writes them: no segment plan, so every stored chunk is a segment and each segment's records are
    // joined to the carried ones.
    const ds = new DataDirectory(records).find(RUN, 'records');
    const metadata = JSON.parse(fs.readFileSync(ds.metadataPath!, 'utf8'));
    expect(metadata.compressor).toBe('zstd');
    expect(metadata.chunks.length).toBeGreaterThan(3);
    delete metadata[SEGMENTS_KEY];
    fs.writeFileSync(ds.metadataPath!, JSON.stringify(metadata));
  }, 120_000);

  it('gives the products of the copying path, having used the room at chunk starts', async () => {
    const products: Record<string, Uint8Array>[] = [];
    for (const enabled of [false, true]) {
      headroom.enabled = enabled;
      headroom.used = 0;
      const store = makeTmpDir();
      fs.cpSync(records, store, { recursive: true });
      const summary = await processLive(store, store, ['peaks', 'lone_hits']);
      expect(summary.loaded).toEqual(['records']);
      const chunks = new DataDirectory(store).find(RUN, 'records').metadata!.chunks.length;
      expect(summary.segments).toBe(chunks);
      expect(headroom.used).toBe(enabled ? chunks - 1 : 0);
      products.push(Object.fromEntries(await Promise.all(['hits', 'peaklets', 'peaks', 'lone_hits'].map(async (t) => [t, await rowsOf(store, t)] as const))));
    }
    for (const t of Object.keys(products[0]!)) {
      expect(products[0]![t]!.length, t).toBeGreaterThan(0);
      expect(Buffer.compare(Buffer.from(products[1]![t]!), Buffer.from(products[0]![t]!)), t).toBe(0);
    }
  }, 120_000);
});
