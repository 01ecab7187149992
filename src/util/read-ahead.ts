// Asks an async iterator for its next item as soon as the current one is handed out, so producing item k+1 (e.g.
// reading and decoding a chunk) overlaps with the consumer's work on item k. At most one item is held ahead.

export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    let next = it.next();
    for (;;) {
      const r = await next;
      if (r.done) {
        finished = true;
        return;
      }
      next = it.next();
      next.catch(() => undefined); // surfaced when awaited on the next round
      yield r.value;
    }
  } finally {
    // The consumer stopped early (or an item failed): let the source release what it holds (files, buffers).
    if (!finished) await it.return?.(undefined)?.catch(() => undefined);
  }
}
