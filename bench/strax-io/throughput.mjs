// DataDirectory write/read throughput per compressor versus the raw codec on the same buffers, plus peak memory.
// Run: npm run build && node --expose-gc bench/strax-io/throughput.mjs   (env: STRAX_BENCH_MB=200, STRAX_BENCH_CHUNK_MB=50, STRAX_BENCH_BZ2_MB=40)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirectory, getCompressor, recordDtype } from '../../dist/strax/index.js';
import { synthRecords } from './synth.mjs';

const TOTAL_MB = Number(process.env.STRAX_BENCH_MB ?? 200);
const CHUNK_MB = Number(process.env.STRAX_BENCH_CHUNK_MB ?? 50);
const BZ2_MB = Number(process.env.STRAX_BENCH_BZ2_MB ?? 40); // bz2 (libbzip2 in wasm) runs ~10 MB/s: a smaller sample keeps the run short
const layout = recordDtype();
const gc = () => globalThis.gc?.();
const mem = () => process.memoryUsage();

function makeChunks(totalMb, chunkMb, seed) {
  const perChunk = Math.floor((chunkMb * 1e6) / layout.itemsize);
  const nChunks = Math.max(1, Math.round(totalMb / chunkMb));
  const chunks = [];
  let start = 1712345678901234560n;
  for (let k = 0; k < nChunks; k++) {
    const { bytes, end } = synthRecords(layout, perChunk, seed + k, start);
    chunks.push({ start, end, data: bytes });
    start = end;
  }
  return chunks;
}

/** Runs fn while sampling memory; `probe()` inside fn records a sample at chosen points too. */
async function measured(fn) {
  gc();
  const base = mem();
  let peakRss = base.rss;
  let peakAb = base.arrayBuffers;
  const probe = () => {
    const m = mem();
    peakRss = Math.max(peakRss, m.rss);
    peakAb = Math.max(peakAb, m.arrayBuffers);
  };
  const timer = setInterval(probe, 5);
  const t = performance.now();
  await fn(probe);
  const ms = performance.now() - t;
  clearInterval(timer);
  probe();
  return { ms, rss: peakRss - base.rss, ab: peakAb - base.arrayBuffers };
}

async function bench(name, totalMb) {
  const codec = getCompressor(name);
  let chunks = makeChunks(totalMb, Math.min(CHUNK_MB, totalMb / 2), 11);
  const bytes = chunks.reduce((a, c) => a + c.data.length, 0);
  const chunkBytes = chunks[0].data.length;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `strax-bench-${name}-`));
  const dir = new DataDirectory(root);
  const REPS = Number(process.env.STRAX_BENCH_REPS ?? 3);
  const warm = chunks[0].data.slice(0, layout.itemsize * 1000);
  await codec.decompress(await codec.compress(warm), warm.length); // warm up (WASM init, JIT)
  const best = (a, b) => (a === undefined || b.ms < a.ms ? b : a);
  let rawW, ddW, rawR, ddR, frames, compressed;
  const spec = { runId: '000001', dataType: 'records', dtype: layout, lineage: { records: ['Bench', '0.0.0', {}] }, compressor: name };
  for (let rep = 0; rep < REPS; rep++) {
    frames = [];
    rawW = best(rawW, await measured(async () => {
      for (const c of chunks) frames.push(await codec.compress(c.data));
    }));
    compressed = frames.reduce((a, f) => a + f.length, 0);
    ddW = best(ddW, await measured(async (probe) => {
      const saver = await dir.save(spec, { overwrite: 'always' });
      for (const c of chunks) {
        await saver.save(c);
        probe();
      }
      await saver.close();
    }));
    rawR = best(rawR, await measured(async (probe) => {
      for (const f of frames) {
        await codec.decompress(f, chunkBytes);
        probe();
      }
    }));
    const ds = dir.find('000001', 'records');
    ddR = best(ddR, await measured(async (probe) => {
      for await (const c of dir.chunks(ds)) {
        if (c.data.length !== chunkBytes) throw new Error('size');
        probe();
      }
    }));
  }
  // Memory pass (untimed): collect garbage before each sample, so the figure is what is live, not what GC left lying.
  // ArrayBuffer backing stores are released by a background sweeper, so settle after each gc before sampling.
  const settle = async () => {
    gc();
    await new Promise((r) => setTimeout(r, 60));
    gc();
    await new Promise((r) => setTimeout(r, 60));
  };
  const live = async (fn) => {
    await settle();
    const base = mem().arrayBuffers;
    let peak = 0;
    await fn(async () => {
      await settle();
      peak = Math.max(peak, mem().arrayBuffers - base);
    });
    return peak;
  };
  const memW = await live(async (probe) => {
    const saver = await dir.save(spec, { overwrite: 'always' });
    for (const c of chunks) {
      await saver.save(c);
      await probe();
    }
    await saver.close();
  });
  frames = null;
  chunks = null;
  const memR = await live(async (probe) => {
    for await (const c of dir.chunks(dir.find('000001', 'records'))) {
      await probe();
      if (c.n < 0) throw new Error('unreachable');
    }
  });
  fs.rmSync(root, { recursive: true, force: true });
  const mbps = (ms) => bytes / 1e6 / (ms / 1000);
  return { name, mb: bytes / 1e6, chunkMb: chunkBytes / 1e6, ratio: bytes / compressed, rawW: mbps(rawW.ms), ddW: mbps(ddW.ms), rawR: mbps(rawR.ms), ddR: mbps(ddR.ms), memW: { ab: memW, rss: ddW.rss }, memR: { ab: memR, rss: ddR.rss }, gcOk: Boolean(globalThis.gc) };
}

console.log(`strax-io throughput: records (${layout.itemsize} B rows), node ${process.version}, ${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? ''}`);
if (!globalThis.gc) console.log('(run with --expose-gc: live-memory figures need it; without it they include uncollected garbage)');
const rows = [];
for (const name of ['blosc', 'zstd', 'lz4', 'bz2']) {
  const r = await bench(name, name === 'bz2' ? BZ2_MB : TOTAL_MB);
  rows.push(r);
  const f = (x) => x.toFixed(1).padStart(8);
  console.log(
    `${name.padEnd(6)} ${f(r.mb)} MB in ${(r.mb / r.chunkMb).toFixed(0)} chunks of ${r.chunkMb.toFixed(1)} MB, ratio ${r.ratio.toFixed(2)}` +
      ` | write raw ${f(r.rawW)} MB/s  DataDirectory ${f(r.ddW)} MB/s  ×${(r.ddW / r.rawW).toFixed(2)}` +
      ` | read raw ${f(r.rawR)} MB/s  DataDirectory ${f(r.ddR)} MB/s  ×${(r.ddR / r.rawR).toFixed(2)}` +
      ` | peak live arrayBuffers write ${(r.memW.ab / 1e6).toFixed(0)} MB (${(r.memW.ab / 1e6 / r.chunkMb).toFixed(2)} chunks), read ${(r.memR.ab / 1e6).toFixed(0)} MB (${(r.memR.ab / 1e6 / r.chunkMb).toFixed(2)} chunks); RSS +${(r.memW.rss / 1e6).toFixed(0)}/+${(r.memR.rss / 1e6).toFixed(0)} MB`,
  );
}
console.log('\n| compressor | data | ratio | write raw MB/s | write DataDirectory MB/s | × | read raw MB/s | read DataDirectory MB/s | × | peak live memory write / read (chunks) |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.mb.toFixed(0)} MB | ${r.ratio.toFixed(2)} | ${r.rawW.toFixed(0)} | ${r.ddW.toFixed(0)} | ${(r.ddW / r.rawW).toFixed(2)} | ${r.rawR.toFixed(0)} | ${r.ddR.toFixed(0)} | ${(r.ddR / r.rawR).toFixed(2)} | ${(r.memW.ab / 1e6 / r.chunkMb).toFixed(2)} / ${(r.memR.ab / 1e6 / r.chunkMb).toFixed(2)} |`,
  );
}
