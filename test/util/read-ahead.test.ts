import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/util/read-ahead.js';

/** A source that records which items have been asked for, and whether it was closed. */
function source(n: number, failAt = -1) {
  const log = { asked: [] as number[], closed: false };
  async function* gen(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < n; i++) {
        log.asked.push(i);
        await Promise.resolve();
        if (i === failAt) throw new Error(`item ${i} is unreadable`);
        yield i;
      }
    } finally {
      log.closed = true;
    }
  }
  return { log, items: gen() };
}

describe('readAhead', () => {
  it('asks for item k+1 while the consumer still holds item k, and yields every item in order', async () => {
    const { log, items } = source(4);
    const seen: number[] = [];
    for await (const v of readAhead(items)) {
      await new Promise((resolve) => setImmediate(resolve)); // the consumer's work on v
      expect(log.asked).toContain(Math.min(v + 1, 3));
      expect(log.asked.length).toBeLessThanOrEqual(v + 2); // never more than one item ahead
      seen.push(v);
    }
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(log.closed).toBe(true);
  });

  it('closes the source when the consumer stops early', async () => {
    const { log, items } = source(10);
    for await (const v of readAhead(items)) if (v === 2) break;
    expect(log.closed).toBe(true);
    expect(log.asked.length).toBeLessThanOrEqual(4);
  });

  it("passes on the source's error at the item that failed, after the items before it", async () => {
    const { items } = source(5, 2);
    const seen: number[] = [];
    await expect((async () => { for await (const v of readAhead(items)) seen.push(v); })()).rejects.toThrow(/item 2 is unreadable/);
    expect(seen).toEqual([0, 1]);
  });
});
