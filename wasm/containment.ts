// Which hits lie inside which peaks (part of the records-kernels module): strax.fully_contained_in, to split a chunk's
// hits into lone hits and the hits of peaks, and strax.touching_windows, to count each peak's hitlets. fullyContainedIn,
// partitionRows and touchingCounts in src/strax/plugins/kernels/peaklet-recipe.ts are the JavaScript reference; every
// comparison here is one of theirs, on the same doubles.

/**
 * Splits the `n` rows at `rows` (`size` bytes each, a multiple of 16), sorted by their start (f64 at `start`, ends at
 * `end`), by strax.fully_contained_in against the `m` sorted, disjoint containers [cStart, cEnd): a row inside a
 * container is copied to `inside`, any other to `outside`, each in order. Returns the number of rows outside.
 */
export function partitionContained(rows: usize, n: i32, size: usize, start: usize, end: usize, cStart: usize, cEnd: usize, m: i32, outside: usize, inside: usize): i32 {
  let b = 0;
  let nOutside = 0;
  let nInside = 0;
  for (let a = 0; a < n; a++) {
    const s = load<f64>(start + (<usize>a << 3));
    while (b < m && load<f64>(cEnd + (<usize>b << 3)) <= s) b++;
    const contained = b < m && load<f64>(cStart + (<usize>b << 3)) <= s && load<f64>(end + (<usize>a << 3)) <= load<f64>(cEnd + (<usize>b << 3));
    const from = rows + <usize>a * size;
    let to: usize;
    if (contained) to = inside + <usize>(nInside++) * size;
    else to = outside + <usize>(nOutside++) * size;
    for (let o: usize = 0; o < size; o += 16) v128.store(to + o, v128.load(from + o));
  }
  return nOutside;
}

/**
 * strax.touching_windows with window 0, as counts: for each of the `m` containers [cStart, cEnd) (sorted by start, and
 * by end as well), how many of the `n` things [start, end) (sorted by start) overlap it, written as i32 at `out`.
 * Returns 0, writing nothing, when the containers' ends are not in order (the caller then orders them by end).
 */
export function touchingCounts(start: usize, end: usize, n: i32, cStart: usize, cEnd: usize, m: i32, out: usize): i32 {
  for (let i = 1; i < m; i++) if (!(load<f64>(cEnd + (<usize>(i - 1) << 3)) <= load<f64>(cEnd + (<usize>i << 3)))) return 0;
  let l = 0;
  let r = 0;
  for (let i = 0; i < m; i++) {
    const s = load<f64>(cStart + (<usize>i << 3));
    while (l < n && load<f64>(end + (<usize>l << 3)) <= s) l++;
    const e = load<f64>(cEnd + (<usize>i << 3));
    while (r < n && load<f64>(start + (<usize>r << 3)) < e) r++;
    store<i32>(out + (<usize>i << 2), r - l);
  }
  return 1;
}
