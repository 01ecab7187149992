// JavaScript's number conversions where the kernels store doubles into integer fields, so that WebAssembly writes
// the bits a DataView setter would.

/** JavaScript's ToInt32: the double truncated, modulo 2³² (0 for NaN and infinities). */
export function toInt32(x: f64): i32 {
  if (!isFinite(x)) return 0;
  const t = Math.trunc(x);
  return <i32><i64>(t - Math.floor(t / 4294967296.0) * 4294967296.0);
}
