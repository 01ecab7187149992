// Pure contiguity arithmetic of a ledger: the largest N such that every existing source run ≤ N is done.

/**
 * Advance `lastContiguous` through the sorted existing runs while they are done.
 * Runs that never existed in the source do not block; an empty ledger starts below the lowest run.
 * Returns the new marker and the done runs that remain above it.
 */
export function advanceContiguous(
  lastContiguous: number | null,
  doneAbove: ReadonlySet<number>,
  sortedSourceRuns: readonly number[],
): { lastContiguous: number | null; doneAbove: number[] } {
  let marker = lastContiguous;
  let i = marker === null ? 0 : upperBound(sortedSourceRuns, marker);
  for (; i < sortedSourceRuns.length; i++) {
    const run = sortedSourceRuns[i]!;
    if (!doneAbove.has(run)) break;
    marker = run;
  }
  const remaining: number[] = [];
  for (const run of doneAbove) if (marker === null || run > marker) remaining.push(run);
  return { lastContiguous: marker, doneAbove: sortNumbers(remaining) };
}

/** Ascending, through a typed array: a rebuilt ledger can hold 100 000 runs above its mark. */
export function sortNumbers(values: Iterable<number>): number[] {
  return Array.from(Float64Array.from(values).sort());
}

/** Index of the first element greater than `value` in a sorted array. */
export function upperBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
