// The DAQ live-layout reader (DAQReader's rules: readiness, decode, sort, overlap breaks, channel split, time shift)
// against its same-run baseline: reading and bare-lz4-decoding the very same files (central, _pre and _post folders,
// the overlap windows twice as the reader reads them). Run `npm run build` first. BENCH_MB (default 200), BENCH_ROUNDS (5).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decompressFrameSync } from 'lz4-napi';
import YAML from 'yaml';

const dist = new URL('../../dist/', import.meta.url);
const { runFakeDaq } = await import(new URL('stages/fake-daq.js', dist));
const { DaqRun, readyChunks } = await import(new URL('strax/engine/daq-reader.js', dist));
const { XENONNT_CHANNEL_MAP, channelRanges, readDaqSettings } = await import(new URL('strax/engine/daq-live.js', dist));

const RUN = '012100';
const MB = Number(process.env.BENCH_MB ?? 200);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-live-bench-'));
const live = path.join(root, 'live');
console.log(`load before: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} CPUs, node ${process.version})`);
console.log(`generating ${MB} MB with fake-daq (DAQ layout: lz4, 4 reader threads, 5 s chunks, 0.5 s overlap as redax) …`);
await runFakeDaq({ runs: [Number(RUN)], liveDir: live, sizeMb: MB, chunkMb: 16, seed: 1, daqChunkS: 5, daqOverlapS: 0.5 });
const runDir = path.join(live, RUN);
const run = new DaqRun(runDir, await readDaqSettings(runDir, channelRanges(XENONNT_CHANNEL_MAP), (t) => YAML.parse(t)));

/** The files the reader reads for the chunks it yields, in its order (chunk 0's _pre is ignored). */
const chunkIndices = [];
for await (const i of readyChunks(run, { follow: false, pollMs: 0, timeoutMs: 0, runId: RUN })) chunkIndices.push(i);
const files = [];
for (const i of chunkIndices) {
  for (const dir of [i > 0 ? run.chunkPath(i, '_pre') : undefined, run.chunkPath(i), run.chunkPath(i, '_post')]) {
    if (dir === undefined || !fs.existsSync(dir)) continue;
    for (const n of fs.readdirSync(dir).sort()) files.push(path.join(dir, n));
  }
}

// The two are timed in alternation, ROUNDS times (default 5), wall clock and the process's CPU time (all threads), so a
// change in the machine's speed during the run hits both alike.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
async function timedRun(f) {
  const [t0, c0] = [performance.now(), cpuNow()];
  const out = await f();
  return { s: (performance.now() - t0) / 1000, cpu: cpuNow() - c0, out };
}
const bare = async () => {
  let bytes = 0;
  for (const f of files) {
    const b = await fs.promises.readFile(f);
    if (b.length > 0) bytes += decompressFrameSync(b).length;
  }
  return bytes;
};
const reader = async () => {
  let bytes = 0;
  let rows = 0;
  for (const i of chunkIndices) {
    const c = await run.load(i);
    bytes += c.nbytes;
    for (const r of Object.values(c.outputs)) rows += r.length / 244;
  }
  return { bytes, rows };
};
const base = [];
const read = [];
for (let r = 0; r < ROUNDS; r++) {
  base.push(await timedRun(bare));
  read.push(await timedRun(reader));
}
const decoded = base[0].out;
const out = read[0].out;
const stat = (xs, key) => {
  const v = xs.map((x) => x[key]).sort((a, b) => a - b);
  return { best: v[0], median: v[Math.floor((v.length - 1) / 2)] };
};
const mb = decoded / 1e6;
const [bw, rw, bc, rc] = [stat(base, 's'), stat(read, 's'), stat(base, 'cpu'), stat(read, 'cpu')];
console.log(`${chunkIndices.length} chunks, ${files.length} files, ${mb.toFixed(0)} MB decoded (overlap windows counted twice), ${out.rows} rows out; ${ROUNDS} rounds, alternated`);
console.log(`baseline read + bare lz4 decode (lz4-napi) of the same files: best ${(mb / bw.best).toFixed(0)} MB/s (${bw.best.toFixed(3)} s), median ${(mb / bw.median).toFixed(0)} MB/s; CPU best ${bc.best.toFixed(3)} s`);
console.log(`DAQ live reader (decode, sort, breaks, split, shift):  best ${(out.bytes / 1e6 / rw.best).toFixed(0)} MB/s (${rw.best.toFixed(3)} s), median ${(out.bytes / 1e6 / rw.median).toFixed(0)} MB/s; CPU best ${rc.best.toFixed(3)} s`);
console.log(`ratio reader / baseline: best ${((out.bytes / rw.best) / (decoded / bw.best)).toFixed(2)}, median ${((out.bytes / rw.median) / (decoded / bw.median)).toFixed(2)}, per CPU-second ${((out.bytes / rc.best) / (decoded / bc.best)).toFixed(2)}`);
console.log(`load after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
fs.rmSync(root, { recursive: true, force: true });
