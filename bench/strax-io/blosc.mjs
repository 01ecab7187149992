// Blosc-1 blosclz: the TypeScript port (python-blosc-identical frames) versus numcodecs' c-blosc WebAssembly, both ways.
// Run: npm run build && node bench/strax-io/blosc.mjs   (env: STRAX_BENCH_MB=200, STRAX_BENCH_CHUNK_MB=50, STRAX_BENCH_REPS=3)
import Blosc from 'numcodecs/blosc';
import { bloscCompressFrame, bloscDecompressFrame } from '../../dist/strax/compress/blosc1-frame.js';
import { recordDtype } from '../../dist/strax/index.js';
import { synthRecords } from './synth.mjs';

const TOTAL_MB = Number(process.env.STRAX_BENCH_MB ?? 200);
const CHUNK_MB = Number(process.env.STRAX_BENCH_CHUNK_MB ?? 50);
const REPS = Number(process.env.STRAX_BENCH_REPS ?? 3);
const layout = recordDtype();

const perChunk = Math.floor((CHUNK_MB * 1e6) / layout.itemsize);
const chunks = [];
for (let k = 0, start = 1712345678901234560n; k < Math.max(1, Math.round(TOTAL_MB / CHUNK_MB)); k++) {
  const { bytes, end } = synthRecords(layout, perChunk, 1 + k, start);
  chunks.push(bytes);
  start = end;
}
const totalBytes = chunks.reduce((s, c) => s + c.length, 0);
const wasm = new Blosc(9, 'blosclz', Blosc.NOSHUFFLE, 0);

/** Best-of-REPS MB/s of fn over all chunks (fn may be async); returns { mbps, out }. */
async function best(fn) {
  let bestMs = Infinity;
  let out;
  for (let r = 0; r < REPS; r++) {
    const t = performance.now();
    const res = [];
    for (let i = 0; i < chunks.length; i++) res.push(await fn(chunks[i], i));
    bestMs = Math.min(bestMs, performance.now() - t);
    out = res;
  }
  return { mbps: totalBytes / 1e6 / (bestMs / 1000), out };
}

const same = (a, b) => a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;

const tsComp = await best((c) => bloscCompressFrame(c, 9, 8));
const wasmComp = await best((c) => wasm.encode(c));
const tsFrames = tsComp.out;
const tsDec = await best((_c, i) => bloscDecompressFrame(tsFrames[i]));
const wasmDecTs = await best((_c, i) => wasm.decode(tsFrames[i]));
const wasmDecOwn = await best((_c, i) => wasm.decode(wasmComp.out[i]));
for (let i = 0; i < chunks.length; i++) {
  if (!same(tsDec.out[i], chunks[i]) || !same(wasmDecTs.out[i], chunks[i])) throw new Error(`chunk ${i} did not round-trip`);
}
const ratio = (frames) => totalBytes / frames.reduce((s, f) => s + f.length, 0);

console.log(`Blosc-1 blosclz clevel 9, no shuffle: ${chunks.length} chunks, ${(totalBytes / 1e6).toFixed(0)} MB of synthetic records, best of ${REPS}, Node ${process.version}`);
console.log('| case | MB/s | × numcodecs | ratio |');
console.log('|---|---|---|---|');
console.log(`| compress, TS port (typesize 8, python-blosc frames) | ${tsComp.mbps.toFixed(0)} | ${(tsComp.mbps / wasmComp.mbps).toFixed(2)} | ${ratio(tsFrames).toFixed(3)} |`);
console.log(`| compress, numcodecs WASM (typesize 4) | ${wasmComp.mbps.toFixed(0)} | 1.00 | ${ratio(wasmComp.out).toFixed(3)} |`);
console.log(`| decompress TS-port frames, TS port | ${tsDec.mbps.toFixed(0)} | ${(tsDec.mbps / wasmDecTs.mbps).toFixed(2)} | |`);
console.log(`| decompress TS-port frames, numcodecs WASM | ${wasmDecTs.mbps.toFixed(0)} | 1.00 | |`);
console.log(`| decompress numcodecs frames, numcodecs WASM | ${wasmDecOwn.mbps.toFixed(0)} | ${(wasmDecOwn.mbps / wasmDecTs.mbps).toFixed(2)} | |`);
