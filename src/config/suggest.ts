// "Did you mean …?" for misspelt keys: the closest known key by edit distance.
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The candidate closest to `word`, if it is close enough to be a plausible typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return best !== undefined && bestDistance <= limit ? best : undefined;
}

/** `unknown key "foo" (did you mean "food"?)`, with the suggestion only when one is close. */
export function unknownKeyMessage(key: string, siblings: readonly string[], elsewhere: readonly string[] = []): string {
  const near = closest(key, siblings);
  if (near) return `unknown key "${key}" (did you mean "${near}"?)`;
  const moved = elsewhere.find((p) => p.endsWith(`.${key}`));
  if (moved) return `unknown key "${key}" (did you mean "${moved}"?)`;
  return `unknown key "${key}" (known keys: ${siblings.join(', ')})`;
}
