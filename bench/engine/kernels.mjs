// The kernels alone — the Hits, Peaklets and Peaks plugins' compute on stored fake-daq records already in memory — for
// this build and a baseline build (BENCH_BASELINE_DIST) loaded into ONE process, their passes alternated, so that both
// see the same machine in the same seconds (on a shared host, builds measured in separate processes minutes apart
// drift by ±30 %). Prints the best pass of each build per plugin, the ratios, and checks that both builds give the
// same bytes.
// `npm run build && BENCH_BASELINE_DIST=/path/to/old/dist node bench/engine/kernels.mjs` (BENCH_MB, default 100;
// BENCH_PASSES, default 10).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const RUN = '012100';
const here = fileURLToPath(import.meta.url);
const after = path.resolve(path.dirname(here), '../../dist');
if (!process.env.BENCH_BASELINE_DIST) {
  console.error('BENCH_BASELINE_DIST=<dist of the build to compare with> is required');
  process.exit(2);
}
const before = path.resolve(process.env.BENCH_BASELINE_DIST);

async function load(dist) {
  const url = (p) => pathToFileURL(path.join(dist, p)).href;
  const e = { ...(await import(url('strax/engine/index.js'))), ...(await import(url('strax/plugins/index.js'))), ...(await import(url('strax/engine/plugin.js'))) };
  const defaults = (cls) => Object.fromEntries(Object.entries(cls.options).map(([k, s]) => [k, s.default]));
  return { e, plugins: [e.Hits, e.Peaklets, e.Peaks].map((cls) => e.instantiate(cls, defaults(cls))) };
}

console.log(`load before: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} CPUs, node ${process.version})`);
const builds = { baseline: await load(before), this: await load(after) };
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-kernels-bench-'));
const { e } = builds.this;
const { runFakeDaq } = await import(pathToFileURL(path.join(after, 'stages/fake-daq.js')).href);
const { DataDirectory } = await import(pathToFileURL(path.join(after, 'strax/storage/data-directory.js')).href);
const { readChunks } = await import(pathToFileURL(path.join(after, 'strax/storage/chunk-reader.js')).href);
await runFakeDaq({ runs: [Number(RUN)], liveDir: path.join(root, 'live'), sizeMb: Number(process.env.BENCH_MB ?? 100), chunkMb: 16, seed: 1 });
const stored = path.join(root, 'records');
await e.processRun({ runId: RUN, targets: ['records'], registry: e.defaultRegistry(), storageDirs: [stored], writeDir: stored, liveDir: path.join(root, 'live'), workers: 1, chunkTargetMb: 50 });
const chunks = [];
for await (const c of readChunks(new DataDirectory(stored).find(RUN, 'records'))) chunks.push(c);
fs.rmSync(root, { recursive: true, force: true });
const mb = chunks.reduce((a, c) => a + c.data.length, 0) / 1e6;
console.log(`records: ${mb.toFixed(0)} MB in ${chunks.length} chunks, in memory`);

const STAGES = ['hits', 'peaklets', 'peaks', 'all'];
const best = Object.fromEntries(Object.keys(builds).map((b) => [b, Object.fromEntries(STAGES.map((s) => [s, Infinity]))]));
const digests = {};
const passes = Number(process.env.BENCH_PASSES ?? 10);
for (let p = 0; p < passes; p++) {
  for (const name of p % 2 ? ['this', 'baseline'] : ['baseline', 'this']) {
    const [hits, peaklets, peaks] = builds[name].plugins;
    const t = { hits: 0, peaklets: 0, peaks: 0 };
    const digest = createHash('sha256');
    const t0 = performance.now();
    for (const c of chunks) {
      const range = { runId: RUN, start: c.start, end: c.end };
      let a = performance.now();
      const h = hits.compute({ records: c.data }, range);
      t.hits += performance.now() - a;
      a = performance.now();
      const pl = peaklets.compute({ records: c.data, hits: h }, range);
      t.peaklets += performance.now() - a;
      a = performance.now();
      const pk = peaks.compute({ peaklets: pl, records: c.data, hits: h }, range);
      t.peaks += performance.now() - a;
      if (p < 2) for (const out of [h, pl, pk]) digest.update(out);
    }
    t.all = performance.now() - t0;
    if (p < 2) digests[name] = digest.digest('hex');
    for (const s of STAGES) best[name][s] = Math.min(best[name][s], t[s]);
  }
}
const rate = (ms) => `${ms.toFixed(0)} ms (${((mb / ms) * 1000).toFixed(0)} MB/s)`;
for (const name of Object.keys(builds)) console.log(`${name} build, best of ${passes / 2} passes: ${STAGES.map((s) => `${s} ${rate(best[name][s])}`).join(', ')}`);
console.log(`this build / baseline (speed): ${STAGES.map((s) => `${s} ${(best.baseline[s] / best.this[s]).toFixed(2)}×`).join(', ')}; strax's kernels ~400 MB/s on the issue's machine`);
const same = digests.baseline === digests.this;
console.log(`outputs ${same ? 'byte-identical' : 'DIFFER'} (hits + peaklets + peaks, SHA-256 ${digests.this.slice(0, 12)}${same ? '' : ` against ${digests.baseline.slice(0, 12)}`})`);
if (!same) process.exitCode = 1;
console.log(`load after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
