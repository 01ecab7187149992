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
  const remaining = new Set(doneAbove);
  let i = marker === null ? 0 : upperBound(sortedSourceRuns, marker);
  for (; i < sortedSourceRuns.length; i++) {
    const run = sortedSourceRuns[i]!;
    if (!remaining.has(run)) break;
    marker = run;
    remaining.delete(run);
  }
  if (marker !== null) for (const run of remaining) if (run <= marker) remaining.delete(run);
  return { lastContiguous: marker, doneAbove: [...remaining].sort((a, b) => a - b) };
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
