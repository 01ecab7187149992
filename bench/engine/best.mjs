// Best-of-n timing shared by the engine benches: [fastest seconds, last result].
export async function best(n, f) {
  let t = Infinity;
  let r;
  for (let k = 0; k < n; k++) {
    const t0 = performance.now();
    r = await f();
    t = Math.min(t, performance.now() - t0);
  }
  return [t / 1000, r];
}
