// Engine throughput on fake-daq data: records→hits→peaks (1 worker), raw_records→event_info (1 and 2 workers),
// baseline = plain read + decompress of the live input. Run `npm run build` first. BENCH_MB (default 200).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runFakeDaq } from '../../dist/stages/fake-daq.js';
import { processRun, readLiveIndex, readLiveChunk } from '../../dist/strax/engine/index.js';
import { defaultRegistry } from '../../dist/strax/plugins/index.js';
import { Records, Hits, Peaklets, Peaks } from '../../dist/strax/plugins/index.js';
import { instantiate } from '../../dist/strax/engine/plugin.js';

const MB = Number(process.env.BENCH_MB ?? 200);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-'));
const live = path.join(root, 'live');
const run = '012100';
let peakRss = 0;
const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
console.log(`generating ${MB} MB with fake-daq …`);
await runFakeDaq({ runs: [12100], liveDir: live, sizeMb: MB, chunkMb: 16, seed: 1 });
const index = readLiveIndex(live, run);
const inMb = index.chunks.reduce((a, c) => a + c.nbytes, 0) / 1e6;

let t = performance.now();
const raw = [];
for (let i = 0; i < index.chunks.length; i++) raw.push(await readLiveChunk(live, index, i));
const baseline = inMb / ((performance.now() - t) / 1000);
console.log(`baseline read+decompress: ${baseline.toFixed(0)} MB/s (${inMb.toFixed(0)} MB)`);

const cfg = (cls) => Object.fromEntries(Object.entries(cls.options).map(([k, s]) => [k, s.default]));
const rec = instantiate(Records, cfg(Records));
const records = raw.map((r) => rec.compute({ raw_records: r }));
raw.length = 0;
const recMb = records.reduce((a, r) => a + r.length, 0) / 1e6;
const hits = instantiate(Hits, cfg(Hits));
const pl = instantiate(Peaklets, cfg(Peaklets));
const pk = instantiate(Peaks, cfg(Peaks));
t = performance.now();
const hitRows = records.map((r) => hits.compute({ records: r }));
const tHits = (performance.now() - t) / 1000;
t = performance.now();
records.forEach((r, i) => {
  const peaklets = pl.compute({ records: r, hits: hitRows[i] });
  pk.compute({ peaklets, records: r, hits: hitRows[i] });
});
const tPeaks = (performance.now() - t) / 1000;
console.log(`hits: ${(recMb / tHits).toFixed(0)} MB/s of records; peaklets+peaks: ${(recMb / tPeaks).toFixed(0)} MB/s; hits+peaks: ${(recMb / (tHits + tPeaks)).toFixed(0)} MB/s (1 core)`);
records.length = 0;
hitRows.length = 0;

const e2e = {};
for (const workers of [1, 2]) {
  const store = path.join(root, `store${workers}`);
  peakRss = 0;
  const s = await processRun({ runId: run, targets: ['event_info'], registry: defaultRegistry(), builtinPlugins: true, storageDirs: [store], writeDir: store, liveDir: live, workers, chunkTargetMb: 50 });
  e2e[workers] = s.mb_per_s;
  console.log(`raw_records→event_info, ${workers} worker(s): ${s.mb_per_s.toFixed(1)} MB/s, peak RSS ${(peakRss / 1e6).toFixed(0)} MB (chunk target 50 MB)`);
}
console.log(`scaling 2 vs 1 workers: ${(e2e[2] / e2e[1]).toFixed(2)}×; end-to-end / baseline: ${(e2e[1] / baseline).toFixed(3)}`);
clearInterval(sample);
fs.rmSync(root, { recursive: true, force: true });
