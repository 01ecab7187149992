// Every float32 value (all 2^32 bit patterns) written by the WebAssembly JSON encoder's float formatter
// (wasm/json-rows.ts), against JavaScript's String(x) (JSON's null for NaN and ±Infinity, "0" for -0): the text
// /get_data replies carry. Too long for the test suite (about 25 minutes on one core); the tests check every binade of
// float32 and float64 and random values. Run after changing the formatter: npm run build && node scripts/check-json-floats.mjs
// Prints progress every 1/16 of the range; exits 1 on the first 20 mismatches' report.
import { jsonFloatFormatter } from '../dist/serve/encode-json-wasm.js';

const format = jsonFloatFormatter();
if (!format) throw new Error('no WebAssembly memory can be had (ulimit -v?)');
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
let bad = 0;
const t0 = Date.now();
for (let hi = 0; hi < 65536; hi++) {
  for (let lo = 0; lo < 65536; lo++) {
    u32[0] = ((hi << 16) | lo) >>> 0;
    const v = f32[0];
    const want = Number.isFinite(v) ? (v === 0 ? '0' : String(v)) : 'null';
    if (!format.matches(v, want) && bad++ < 20) console.log(`mismatch: bits ${u32[0].toString(16)} value ${v}: want ${want}, got ${format.text(v)}`);
  }
  if (hi % 4096 === 4095) console.log(`${hi + 1}/65536 of the range, ${bad} mismatches, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
console.log(`all 2^32 float32 values: ${bad} mismatches, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exitCode = bad === 0 ? 0 : 1;
