// Realistic synthetic strax records for the benchmarks: baseline-subtracted PMT pulses plus Gaussian-ish noise.

/** n records (record_dtype(110) layout) starting at t0, time-sorted, 16 channels, pulses of 1–3 fragments. */
export function synthRecords(layout, n, seed = 1, t0 = 1712345678901234560n) {
  const size = layout.itemsize;
  const bytes = new Uint8Array(n * size);
  const v = new DataView(bytes.buffer);
  const off = Object.fromEntries(layout.fields.map((f) => [f.name, f.offset]));
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const noise = () => Math.round((rand() + rand() + rand() - 1.5) * 2.5);
  let t = t0;
  for (let i = 0; i < n; i++) {
    t += BigInt(200 + Math.floor(rand() * 3000));
    const o = i * size;
    const length = rand() < 0.7 ? 110 : 20 + Math.floor(rand() * 90);
    v.setBigInt64(o + off.time, t, true);
    v.setInt32(o + off.length, length, true);
    v.setInt16(o + off.dt, 10, true);
    v.setInt16(o + off.channel, Math.floor(rand() * 16), true);
    v.setInt32(o + off.pulse_length, length + Math.floor(rand() * 200), true);
    v.setInt16(o + off.record_i, rand() < 0.8 ? 0 : 1, true);
    v.setFloat32(o + off.baseline, 16000 + rand() * 10, true);
    v.setFloat32(o + off.baseline_rms, 2 + rand(), true);
    const peak = 30 + Math.floor(rand() * 40);
    const amp = 20 + rand() * 400;
    let area = 0;
    for (let j = 0; j < length; j++) {
      const x = j >= peak ? Math.round(amp * Math.exp(-(j - peak) / 8)) : 0;
      const sample = x + noise();
      area += sample;
      v.setInt16(o + off.data + 2 * j, sample, true);
    }
    v.setInt32(o + off.area, area, true);
  }
  return { bytes, end: t + 10_000n };
}
