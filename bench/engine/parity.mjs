// hits + peaks from stored records, load and save included (the issue's parity benchmark): fake-daq records are
// stored once, then each engine build computes hits → peaklets → peaks from them on one worker, in its own process,
// and writes them. Also the kernels alone on the same records in memory. Compares this build with a baseline build
// (BENCH_BASELINE_DIST, e.g. a `tsc` build of the commit before the parity work) measured in the same run, and
// measures real strax on the same records when given a Python that has it (BENCH_STRAX_PYTHON, below), else quotes the
// issue's figures for this machine class (~116 MB/s end to end, ~400 MB/s kernels). The floor
// is printed too: zstd alone on the same bytes (decode the stored records, encode the saved products), and what
// kernels + zstd would give with no engine overhead at all.
// `npm run build && BENCH_BASELINE_DIST=/path/to/old/dist node bench/engine/parity.mjs` (BENCH_MB, default 200;
// BENCH_ROUNDS, default 2; BENCH_PLAN=strax drops daqflow's segment plan from the stored records' metadata, as records
// written by strax have none: each stored chunk is then one segment; BENCH_WORKERS, default 1, the end-to-end run's
// worker threads). On a shared machine the per-CPU-second figures
// are the ones to compare.
// BENCH_STRAX_PYTHON=<python with strax 2.2.3 importable> measures real strax doing the same work on the same stored
// records in the same minutes (strax-same-work.py: one Context, no multiprocessing), alternated with the builds, and
// the goal is then judged against that measurement instead of the quoted figure.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { statCpuSeconds } from '../proc-cpu.mjs';

const RUN = '012100';
/** Worker threads for the end-to-end run (BENCH_WORKERS, default 1: one core's work against strax's one core). */
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const STRAX_END_TO_END = 116;
const STRAX_KERNELS = 400;
const STRAX_PYTHON = process.env.BENCH_STRAX_PYTHON;
const here = fileURLToPath(import.meta.url);

async function engine(dist) {
  const url = (p) => pathToFileURL(path.join(dist, p)).href;
  return {
    ...(await import(url('strax/engine/index.js'))),
    ...(await import(url('strax/plugins/index.js'))),
    ...(await import(url('strax/engine/plugin.js'))),
    ...(await import(url('strax/storage/data-directory.js'))),
    ...(await import(url('strax/storage/chunk-reader.js'))),
  };
}

if (process.argv[2] === '--measure') {
  // Child: one build, end to end from the stored records, then the kernels alone.
  const [dist, records, store] = process.argv.slice(3);
  const e = await engine(dist);
  const cpu = () => {
    const u = process.cpuUsage(); // all threads of the process: main, zstd, GC, compiler
    return (u.user + u.system) / 1e6;
  };
  // The main thread apart from the runtime's other threads (V8's compiler and GC helpers, libuv): their CPU-seconds are
  // part of the per-CPU-second figure but do not shorten the run. /proc is Linux-only; elsewhere the split reads NaN.
  const mainThreadCpu = () => {
    try {
      return statCpuSeconds(`/proc/self/task/${process.pid}/stat`);
    } catch {
      return NaN;
    }
  };
  const [t0, c0, m0] = [performance.now(), cpu(), mainThreadCpu()];
  await e.processRun({ runId: RUN, targets: ['peaks'], registry: e.defaultRegistry(), storageDirs: [records], writeDir: store, liveDir: records, workers: WORKERS, builtinPlugins: true });
  const endToEnd = (performance.now() - t0) / 1000;
  const endToEndCpu = cpu() - c0;
  const endToEndMainCpu = mainThreadCpu() - m0;
  const chunks = [];
  for await (const c of e.readChunks(new e.DataDirectory(records).find(RUN, 'records'))) chunks.push(c);
  const cfg = (cls) => Object.fromEntries(Object.entries(cls.options).map(([k, s]) => [k, s.default]));
  const [hits, peaklets, peaks] = [e.Hits, e.Peaklets, e.Peaks].map((cls) => e.instantiate(cls, cfg(cls)));
  let kernels = Infinity;
  let kernelsCpu = Infinity;
  const kernelOutputs = createHash('sha256');
  for (let pass = 0; pass < 3; pass++) {
    const [t, c] = [performance.now(), cpu()];
    for (const c of chunks) {
      const range = { runId: RUN, start: c.start, end: c.end };
      const h = hits.compute({ records: c.data }, range);
      const pl = peaklets.compute({ records: c.data, hits: h }, range);
      const pk = peaks.compute({ peaklets: pl, records: c.data, hits: h }, range);
      if (pass === 0) for (const out of [h, pl, pk]) kernelOutputs.update(out);
    }
    kernels = Math.min(kernels, (performance.now() - t) / 1000);
    kernelsCpu = Math.min(kernelsCpu, cpu() - c);
  }
  // The floor no engine can go below with these codecs: zstd alone on the same bytes — decode the stored records,
  // encode the saved products at their plugins' levels (best of 3).
  const { getCompressor } = await import(pathToFileURL(path.join(dist, 'strax/compress/index.js')).href);
  const saved = [e.Hits, e.Peaklets, e.Peaks].map((cls) => ({ cls, ds: new e.DataDirectory(store).find(RUN, cls.provides) }));
  const products = [];
  const savedProducts = createHash('sha256');
  for (const { cls, ds } of saved) {
    for await (const c of e.readChunks(ds)) {
      products.push({ level: cls.compressorLevel, data: c.data });
      savedProducts.update(c.data);
    }
  }
  const frames = new e.DataDirectory(records).find(RUN, 'records');
  const recordFrames = frames.metadata.chunks.map((c) => ({ n: c.nbytes, frame: fs.readFileSync(path.join(frames.path, c.filename)) }));
  let zstdCpu = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const c = cpu();
    for (const r of recordFrames) await getCompressor('zstd').decompress(r.frame, r.n);
    for (const p of products) await getCompressor('zstd', { level: p.level }).compress(p.data);
    zstdCpu = Math.min(zstdCpu, cpu() - c);
  }
  const digests = { saved: savedProducts.digest('hex'), kernels: kernelOutputs.digest('hex') };
  process.stdout.write(JSON.stringify({ endToEnd, endToEndCpu, endToEndMainCpu, kernels, kernelsCpu, zstdCpu, digests }) + '\n');
  process.exit(0);
}

const MB = Number(process.env.BENCH_MB ?? 200);
const after = path.resolve(path.dirname(here), '../../dist');
const before = process.env.BENCH_BASELINE_DIST ? path.resolve(process.env.BENCH_BASELINE_DIST) : undefined;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-parity-bench-'));
const live = path.join(root, 'live');
const recordsDir = path.join(root, 'records');
console.log(`load before: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} CPUs, node ${process.version})`);
const e = await engine(after);
const { runFakeDaq } = await import(pathToFileURL(path.join(after, 'stages/fake-daq.js')).href);
await runFakeDaq({ runs: [Number(RUN)], liveDir: live, sizeMb: MB, chunkMb: 16, seed: 1 });
await e.processRun({ runId: RUN, targets: ['records'], registry: e.defaultRegistry(), storageDirs: [recordsDir], writeDir: recordsDir, liveDir: live, workers: 1, chunkTargetMb: 50 });
fs.rmSync(live, { recursive: true, force: true });
const stored = new e.DataDirectory(recordsDir).find(RUN, 'records');
const PLAN = process.env.BENCH_PLAN ?? 'daqflow';
if (PLAN === 'strax') {
  const metadata = JSON.parse(fs.readFileSync(stored.metadataPath, 'utf8'));
  delete metadata.daqflow_segments;
  fs.writeFileSync(stored.metadataPath, JSON.stringify(metadata, null, 4));
} else if (PLAN !== 'daqflow') throw new Error(`BENCH_PLAN must be daqflow or strax, not ${PLAN}`);
const recordsMb = stored.metadata.chunks.reduce((a, c) => a + c.nbytes, 0) / 1e6;
const segments = PLAN === 'strax' ? 'each chunk one segment, as strax wrote them' : `${stored.metadata.extra.daqflow_segments.length} segments (daqflow's plan)`;
console.log(`stored records: ${recordsMb.toFixed(0)} MB in ${stored.metadata.chunks.length} chunks, ${segments} (zstd on disk ${(stored.sizeOnDisk / 1e6).toFixed(0)} MB)`);

/** One measurement in a fresh process: MB/s of records by wall clock and per CPU-second (all threads). */
function measure(dist) {
  const store = fs.mkdtempSync(path.join(root, 'out-'));
  const r = JSON.parse(execFileSync(process.execPath, [here, '--measure', dist, recordsDir, store], { encoding: 'utf8' }));
  fs.rmSync(store, { recursive: true, force: true });
  digestsOf.set(dist, [...(digestsOf.get(dist) ?? []), r.digests]);
  return { endToEnd: recordsMb / r.endToEnd, endToEndCpu: recordsMb / r.endToEndCpu, endToEndMainCpu: recordsMb / r.endToEndMainCpu, kernels: recordsMb / r.kernels, kernelsCpu: recordsMb / r.kernelsCpu, zstdCpu: recordsMb / r.zstdCpu };
}
/** Real strax on the same records in a fresh process (strax-same-work.py): MB/s of records by wall clock and per CPU-second. */
function measureStrax() {
  const r = JSON.parse(execFileSync(STRAX_PYTHON, [path.join(path.dirname(here), 'strax-same-work.py'), recordsDir, RUN], { encoding: 'utf8' }).trim().split('\n').pop());
  return { endToEnd: r.nbytes / 1e6 / r.wall, endToEndCpu: r.nbytes / 1e6 / r.cpu, plain: r.nbytes / 1e6 / r.plain_wall, plainCpu: r.nbytes / 1e6 / r.plain_cpu, kernels: r.nbytes / 1e6 / r.kernels, info: r };
}
/** SHA-256 of the decoded saved hits, peaklets and peaks (and of the kernels' outputs) of every measurement, by build. */
const digestsOf = new Map();
// Builds alternate (baseline, this, baseline, this …) so both see the same machine; the best of ROUNDS is kept.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const builds = before ? [['baseline build', before], ['this build', after]] : [['this build', after]];
const best = new Map();
let strax;
if (STRAX_PYTHON) measureStrax(); // numba compiles strax's kernels on a first run (and caches them): not timed
for (let k = 0; k < ROUNDS; k++) {
  for (const [label, dist] of builds) {
    const r = measure(dist);
    const b = best.get(label);
    best.set(label, b ? Object.fromEntries(Object.keys(r).map((f) => [f, Math.max(r[f], b[f])])) : r);
  }
  if (STRAX_PYTHON) {
    const s = measureStrax();
    strax = strax ? { ...s, ...Object.fromEntries(['endToEnd', 'endToEndCpu', 'plain', 'plainCpu', 'kernels'].map((f) => [f, Math.max(s[f], strax[f])])) } : s;
  }
}
if (strax) {
  const i = strax.info;
  console.log(
    `real strax ${i.strax} (same records, same minutes, one Context, no multiprocessing; best of ${ROUNDS}): ${strax.endToEnd.toFixed(0)} MB/s of records by wall clock, ` +
      `${strax.endToEndCpu.toFixed(0)} MB per CPU-second; ${i.hits} hits and ${i.peaks} peaks saved${i.stand_ins.length > 0 ? `; stand-ins: ${i.stand_ins.join(', ')}` : ''}; ` +
      `the same work as a plain loop over strax's functions, without the Context: ${strax.plain.toFixed(0)} MB/s, ${strax.plainCpu.toFixed(0)} MB per CPU-second; ` +
      `its kernels alone in that loop: ${strax.kernels.toFixed(0)} MB/s`,
  );
}
/** The goal, ≥ 1.5 × strax: against strax measured here when it was (wall against wall, CPU against CPU), else the issue's figure. */
const goal = (x, cpu = false) => {
  const ref = strax ? (cpu ? strax.endToEndCpu : strax.endToEnd) : STRAX_END_TO_END;
  const what = strax ? `strax's ${ref.toFixed(0)} ${cpu ? 'MB per CPU-second' : 'MB/s'} measured here` : `strax's ~${STRAX_END_TO_END} MB/s`;
  return `${(x / ref).toFixed(2)}× ${what}; goal ≥ 1.5×: ${x >= 1.5 * ref ? 'met' : 'NOT met'}`;
};
for (const [label, r] of best) {
  console.log(
    `${label}: hits + peaks from stored records, load and save included, ${WORKERS} worker${WORKERS === 1 ? '' : 's'}: ${r.endToEnd.toFixed(0)} MB/s of records by wall clock (${goal(r.endToEnd)}), ` +
      `${r.endToEndCpu.toFixed(0)} MB per CPU-second (${goal(r.endToEndCpu, true)}; the main thread alone ${r.endToEndMainCpu.toFixed(0)} MB per CPU-second, ` +
      `the other threads — ${WORKERS > 1 ? 'the workers, ' : ''}zstd's, V8's compiler and GC helpers, libuv — ${(recordsMb / r.endToEndCpu - recordsMb / r.endToEndMainCpu).toFixed(2)} CPU-s); kernels alone: ${r.kernels.toFixed(0)} MB/s, ${r.kernelsCpu.toFixed(0)} MB per CPU-second ` +
      `(strax's kernels ${strax ? `${strax.kernels.toFixed(0)} measured here` : `~${STRAX_KERNELS}`}); zstd alone (decode the records, encode the products): ${r.zstdCpu.toFixed(0)} MB per CPU-second, ` +
      `so kernels + zstd with no engine overhead would give ${(1 / (1 / r.kernelsCpu + 1 / r.zstdCpu)).toFixed(0)} MB per CPU-second`,
  );
}
if (strax) {
  const a = best.get('this build');
  console.log(`this build / strax's plain loop (no Context): ${(a.endToEnd / strax.plain).toFixed(2)}× (wall), ${(a.endToEndCpu / strax.plainCpu).toFixed(2)}× (CPU)`);
}
if (before) {
  const [b, a] = [best.get('baseline build'), best.get('this build')];
  const ratio = (f) => (a[f] / b[f]).toFixed(2);
  console.log(`this build / baseline: end to end ${ratio('endToEnd')}× (wall), ${ratio('endToEndCpu')}× (CPU); kernels ${ratio('kernels')}× (wall), ${ratio('kernelsCpu')}× (CPU)`);
}
// Outputs must not change with speed: every measurement of every build must give the same bytes.
const allDigests = [...digestsOf.values()].flat();
const identical = allDigests.every((d) => d.saved === allDigests[0].saved && d.kernels === allDigests[0].kernels);
console.log(`outputs (decoded hits + peaklets + peaks saved, and the kernels' own) ${identical ? 'byte-identical across builds and rounds' : 'DIFFER between builds or rounds'}: ${[...digestsOf].map(([dist, d]) => `${path.basename(path.dirname(dist))}/${path.basename(dist)} saved ${d[0].saved.slice(0, 12)} kernels ${d[0].kernels.slice(0, 12)}`).join('; ')}`);
if (!identical) process.exitCode = 1;
console.log(`load after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
fs.rmSync(root, { recursive: true, force: true });
