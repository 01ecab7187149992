// Engine throughput on fake-daq data, each figure next to its goal: baseline read+decompress of the live input;
// records→hits and hits→peaklets→peaks per core (strax numba reference); raw_records→event_info end to end with 1 and
// 2 workers (each in its own process, so peak RSS is per configuration), scaling, CPU per thread, and how busy the
// machine was with other processes. Run `npm run build` first. BENCH_MB (default 200), BENCH_CHUNK_MB (default 50).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { best } from './best.mjs';
import { statCpuSeconds } from '../proc-cpu.mjs';

const dist = new URL('../../dist/', import.meta.url);
const { processRun, readLiveIndex, readLiveChunk } = await import(new URL('strax/engine/index.js', dist));
const { defaultRegistry, Records, Hits, Peaklets, Peaks } = await import(new URL('strax/plugins/index.js', dist));
const { instantiate } = await import(new URL('strax/engine/plugin.js', dist));
const RUN = '012100';
const CHUNK_MB = Number(process.env.BENCH_CHUNK_MB ?? 50);

/** Busy jiffies of all CPUs (/proc/stat) and of this process (all threads). */
function jiffies() {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7];
  return { busy, own: statCpuSeconds('/proc/self/stat') * 100, at: performance.now() };
}
function otherCores(a, b) {
  return Math.max(0, (b.busy - a.busy - (b.own - a.own)) / 100 / ((b.at - a.at) / 1000));
}
/** CPU seconds per thread of this process (main thread first, worker threads, helpers). */
function threadCpu() {
  const out = [];
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      out.push({ tid: Number(tid), cpu: statCpuSeconds(`/proc/self/task/${tid}/stat`) });
    } catch {
      // thread ended
    }
  }
  return out;
}

/** Peak RSS of this process image (VmHWM; getrusage's maxRSS would carry over the parent's across fork/exec). */
function peakRss() {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

if (process.argv[2] === '--e2e') {
  // Child: one end-to-end configuration.
  const [live, workers, store] = [process.argv[3], Number(process.argv[4]), process.argv[5]];
  let last = threadCpu();
  const seen = new Map();
  const sample = setInterval(() => (last = threadCpu()), 25);
  const j0 = jiffies();
  const s = await processRun({ runId: RUN, targets: ['event_info'], registry: defaultRegistry(), builtinPlugins: true, storageDirs: [store], writeDir: store, liveDir: live, workers, chunkTargetMb: CHUNK_MB });
  const j1 = jiffies();
  clearInterval(sample);
  for (const t of [...last, ...threadCpu()]) seen.set(t.tid, t.cpu);
  const threads = [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
  const sizeMb = s.products.reduce((a, p) => a + p.size_mb, 0);
  process.stdout.write(JSON.stringify({ mbps: s.mb_per_s, seconds: s.seconds, maxRss: peakRss(), threads, other: otherCores(j0, j1), sizeMb }) + '\n');
  process.exit(0);
}

const MB = Number(process.env.BENCH_MB ?? 200);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-'));
const live = path.join(root, 'live');
const fmt = (x, d = 0) => x.toFixed(d);
const verdict = (ok) => (ok ? 'met' : 'NOT met');
console.log(`load before: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} CPUs, node ${process.version})`);
console.log(`generating ${MB} MB with fake-daq …`);
const { runFakeDaq } = await import(new URL('stages/fake-daq.js', dist));
await runFakeDaq({ runs: [Number(RUN)], liveDir: live, sizeMb: MB, chunkMb: 16, seed: 1, layout: 'daqflow-live/1' }); // the engine's figures; bench/engine/live-reader.mjs measures the DAQ layout
const index = readLiveIndex(live, RUN);
const inMb = index.chunks.reduce((a, c) => a + c.nbytes, 0) / 1e6;

const [tBase, raw] = await best(2, async () => {
  const out = [];
  for (let i = 0; i < index.chunks.length; i++) out.push(await readLiveChunk(live, index, i));
  return out;
});
const baseline = inMb / tBase;
console.log(`baseline read + zstd-decompress live input: ${fmt(baseline)} MB/s (${fmt(inMb)} MB in ${index.chunks.length} chunks)`);

const cfg = (cls) => Object.fromEntries(Object.entries(cls.options).map(([k, s]) => [k, s.default]));
const rec = instantiate(Records, cfg(Records));
const hits = instantiate(Hits, cfg(Hits));
const pl = instantiate(Peaklets, cfg(Peaklets));
const pk = instantiate(Peaks, cfg(Peaks));
const [tRec, records] = await best(2, () => raw.map((r) => rec.compute({ raw_records: r })));
raw.length = 0;
const recMb = records.reduce((a, r) => a + r.length, 0) / 1e6;
// Best of 3 passes: the first one includes JIT warm-up.
// Each live chunk is one segment: the range the plugins see.
const ranges = index.chunks.map((c) => ({ runId: RUN, start: BigInt(c.start), end: BigInt(c.end) }));
const [tHits, hitRows] = await best(3, () => records.map((r, i) => hits.compute({ records: r }, ranges[i])));
const [tPeaks] = await best(3, () => records.forEach((r, i) => pk.compute({ peaklets: pl.compute({ records: r, hits: hitRows[i] }, ranges[i]), records: r, hits: hitRows[i] }, ranges[i])));
const hp = recMb / (tHits + tPeaks);
const straxHp = 1 / (1 / 700 + 1 / 320);
console.log(`records (raw_records → records), 1 core: ${fmt(inMb / tRec)} MB/s of raw_records`);
console.log(`hits (records → hits), 1 core: ${fmt(recMb / tHits)} MB/s of records   [strax find_hits ~650–800]`);
console.log(`peaklets + peaks, 1 core: ${fmt(recMb / tPeaks)} MB/s of records   [strax find_peaks ~320]`);
console.log(`hits + peaks, 1 core: ${fmt(hp)} MB/s of records   [goal ≥ strax ≈ ${fmt(straxHp)}: ${verdict(hp >= straxHp)}]`);
records.length = 0;
hitRows.length = 0;

const self = fileURLToPath(import.meta.url);
const e2e = {};
for (const workers of [1, 2]) {
  const store = path.join(root, `store${workers}`);
  const r = JSON.parse(execFileSync(process.execPath, [self, '--e2e', live, String(workers), store], { encoding: 'utf8', env: { ...process.env } }));
  e2e[workers] = r;
  const memGoal = 2 * CHUNK_MB * workers + 300;
  const cpu = r.threads.reduce((a, b) => a + b, 0);
  const top = [...r.threads].sort((a, b) => b - a).slice(0, workers + 1);
  console.log(
    `raw_records → event_info, ${workers} worker(s): ${fmt(r.mbps, 1)} MB/s   [goal ≥ ${100 * workers}: ${verdict(r.mbps >= 100 * workers)}]; ` +
      `peak RSS ${fmt(r.maxRss / 1e6)} MB [goal ≤ ${memGoal}: ${verdict(r.maxRss / 1e6 <= memGoal)}]; ` +
      `CPU ${fmt(cpu, 2)} s in ${fmt(r.seconds, 2)} s (${fmt(inMb / cpu)} MB per CPU-second; busiest threads ${top.map((c) => fmt(c, 2)).join(', ')} s); ` +
      `other processes used ${fmt(r.other, 2)} cores; written ${fmt(r.sizeMb)} MB`,
  );
  fs.rmSync(store, { recursive: true, force: true });
}
const scaling = e2e[2].mbps / e2e[1].mbps;
console.log(`scaling 2 vs 1 workers: ${fmt(scaling, 2)}×   [goal ≥ 1.8: ${verdict(scaling >= 1.8)}]; end-to-end (1 worker) / baseline: ${fmt(e2e[1].mbps / baseline, 3)}`);
console.log(`load after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
fs.rmSync(root, { recursive: true, force: true });
