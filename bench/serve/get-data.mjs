// /get_data throughput and latency: 10 000 peaks and 100 000 hits served as JSON and .npy by `daqflow serve`
// (a child process), against reading the same rows with daqflow's storage API here (the baseline, same run).
// Two more baselines say what is left after the parts no server can avoid: JSON.stringify of the same rows as plain
// objects (how fast V8's own writer gets; daqflow's encoder, in WebAssembly as served and in JavaScript, is timed
// in-process too), and a bare node:http
// server (bare-server.mjs) sending the same prepared bodies over loopback (the transport alone).
// Then p50/p99 latency under 20 concurrent clients (autocannon).
// The server's CPU time per reply (user + system, from /proc, averaged over the reps; all threads and its main thread
// alone) is printed next to each served case: the wall time on a shared machine moves with the load, the CPU time
// much less.
// Every timed case (baseline, bare transport, served) first runs WARMUP times untimed: a fresh server's first ten or so
// hits replies take 2-10× its steady time (JIT tiers, heap growth, TCP window), which best of 5 alone does not hide.
// WARMUP=0 gives the cold figures.
// Each case prints its best and its median time, and both as a ratio to the storage API's best and median.
// Run: npm run build && node bench/serve/get-data.mjs   (REPS=5 WARMUP=10 DURATION_S=5 to change the effort;
// FORMATS=npy LATENCY=0 for the npy cases alone, without the JSON ones and the autocannon part)
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { DataDirectory, RecordView, hitDtype, peakDtype, readAllRows } from '../../dist/strax/index.js';
import { jsonArrayChunks } from '../../dist/serve/encode-json.js';
import { statCpuSeconds } from '../proc-cpu.mjs';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const REPS = Number(process.env.REPS ?? 5);
const WARMUP = Number(process.env.WARMUP ?? 10);
const DURATION_S = Number(process.env.DURATION_S ?? 5);
const FORMATS = (process.env.FORMATS ?? 'json,npy').split(',');
const LATENCY = process.env.LATENCY !== '0';
const T0 = 1712345679000000000n;

function rows(layout, n, seed) {
  const bytes = new Uint8Array(n * layout.itemsize);
  const v = new RecordView(layout, bytes);
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < n; i++) {
    v.set(i, 'time', T0 + BigInt(i * 10_000));
    v.set(i, 'length', 50);
    v.set(i, 'dt', 10);
    v.set(i, 'channel', i % 494);
    v.set(i, 'area', rand() * 1000);
    if (layout.has('data')) for (let j = 0; j < 200; j++) v.set(i, 'data', rand() * 10, j);
    if (layout.has('height')) v.set(i, 'height', rand() * 100);
  }
  return bytes;
}

async function write(root, dataType, layout, bytes, perChunk) {
  const saver = await new DataDirectory(root).save({ runId: '012100', dataType, dtype: layout, lineage: { [dataType]: ['Bench', '0', {}] }, compressor: 'lz4' });
  const n = bytes.length / layout.itemsize;
  for (let i = 0; i < n; i += perChunk) {
    const end = Math.min(n, i + perChunk);
    await saver.save({ start: T0 + BigInt(i * 10_000), end: T0 + BigInt(end * 10_000), data: bytes.subarray(i * layout.itemsize, end * layout.itemsize) });
  }
  await saver.close();
}

/**
 * Best and median of REPS timed runs after `warmup` untimed ones. The best is each case's speed when nothing else
 * happens; the median also counts what the case leaves behind for later runs (garbage collection of fresh buffers,
 * above all), which a server pays over a day of requests.
 */
async function timed(fn, warmup = WARMUP) {
  const times = [];
  let out;
  for (let w = 0; w < warmup; w++) await fn();
  for (let r = 0; r < REPS; r++) {
    const t = performance.now();
    out = await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { ms: times[0], median: times[Math.floor((times.length - 1) / 2)], out };
}

/** Bytes of one reply, read as a client would (node:http, the body kept). */
function download(target) {
  return new Promise((resolve, reject) => {
    http.get(target, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(parts).length) : reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(parts)}`))));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** The same rows as plain objects, as JSON.stringify wants them (int64 as a double: a speed bound, not exact). */
function plainObjects(layout, bytes) {
  const v = new RecordView(layout, bytes);
  const n = bytes.length / layout.itemsize;
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const o = {};
    for (const f of layout.fields) {
      if (f.kind === 'S' || f.kind === 'U') o[f.name] = '';
      else if (f.count === 1 && f.shape.length === 0) o[f.name] = Number(v.get(i, f.name));
      else o[f.name] = v.values(i, f.name).map(Number);
    }
    out[i] = o;
  }
  return out;
}

function startChild(args, pattern) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const url = new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = pattern.exec(err);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited ${code}: ${err}`)));
  });
  return url.then((u) => ({ child, url: u }));
}

/**
 * A child's CPU time so far (user + system), in ms, all threads and its main thread alone (the rest is V8's compiler
 * and GC helpers and libuv's pool); null where /proc is missing.
 */
function cpuMs(pid) {
  try {
    return { all: statCpuSeconds(`/proc/${pid}/stat`) * 1000, main: statCpuSeconds(`/proc/${pid}/task/${pid}/stat`) * 1000 };
  } catch {
    return null;
  }
}

const loadavg = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-serve-'));
const data = path.join(dir, 'strax_data');
fs.mkdirSync(data);
const cases = [
  { type: 'peaks', layout: peakDtype(), n: 10_000, perChunk: 1000 },
  { type: 'hits', layout: hitDtype(), n: 100_000, perChunk: 20_000 },
];
for (const c of cases) await write(data, c.type, c.layout, rows(c.layout, c.n, 7), c.perChunk);
const configFile = path.join(dir, 'config.yaml');
fs.writeFileSync(configFile, `work_dir: ${dir}/work\nstorage:\n  dirs: [${data}]\nserve:\n  port: 0\n  max_return_mb: 100\n  heartbeat_s: 60\n`);
const { child, url } = await startChild([path.join(ROOT, 'bin', 'daqflow.js'), 'serve', '--config', configFile], /serving on (http:\/\/[\d.]+:\d+)/);
const bare = await startChild([path.join(import.meta.dirname, 'bare-server.mjs'), data, '012100', ...cases.map((c) => c.type)], /bare on (http:\/\/[\d.]+:\d+)/);

console.log(`daqflow serve /get_data, node ${process.version}, ${os.cpus().length} CPUs, best and median of ${REPS} after ${WARMUP} untimed, ${new Date().toISOString()}, load average ${loadavg()}`);
console.log('case'.padEnd(22), 'rows'.padStart(8), 'MB'.padStart(7), 'best ms'.padStart(8), 'rows/s'.padStart(11), 'MB/s'.padStart(8), 'wire MB'.padStart(8), 'vs storage API'.padStart(15), 'median ms'.padStart(10), 'vs storage API'.padStart(15));
try {
  for (const c of cases) {
    const mb = (c.n * c.layout.itemsize) / 1e6;
    const base = await timed(async () => readAllRows(new DataDirectory(data).find('012100', c.type)));
    if (base.out.length !== c.n * c.layout.itemsize) throw new Error('baseline read the wrong size');
    const line = (name, { ms, median }, wire) =>
      console.log(name.padEnd(22), String(c.n).padStart(8), mb.toFixed(1).padStart(7), ms.toFixed(1).padStart(8), (c.n / (ms / 1000)).toFixed(0).padStart(11), (mb / (ms / 1000)).toFixed(0).padStart(8), wire === null ? '-'.padStart(8) : (wire / 1e6).toFixed(1).padStart(8), wire === null ? '1.00× (base)'.padStart(15) : `${(base.ms / ms).toFixed(2)}×`.padStart(15), median.toFixed(1).padStart(10), wire === null ? '1.00× (base)'.padStart(15) : `${(base.median / median).toFixed(2)}×`.padStart(15));
    line(`${c.type} storage API`, base, null);
    let stringify = null;
    if (FORMATS.includes('json')) {
      const objects = plainObjects(c.layout, base.out);
      stringify = await timed(async () => JSON.stringify(objects).length);
      line(`${c.type} JSON.stringify`, stringify, stringify.out);
      const encoder = await timed(async () => [...jsonArrayChunks(c.layout, [base.out])].reduce((a, b) => a + b.length, 0));
      line(`${c.type} json encoder`, encoder, encoder.out);
      const jsEncoder = await timed(async () => [...jsonArrayChunks(c.layout, [base.out], undefined, false)].reduce((a, b) => a + b.length, 0));
      line(`${c.type} json, JS encoder`, jsEncoder, jsEncoder.out);
    }
    for (const format of FORMATS) {
      const transport = await timed(() => download(`${bare.url}/${c.type}.${format}`));
      line(`${c.type} ${format} bare http`, transport, transport.out);
      for (let w = 0; w < WARMUP; w++) await download(`${url}/get_data?run_id=012100&target=${c.type}&max_n=0&format=${format}`);
      const cpu0 = cpuMs(child.pid);
      const r = await timed(() => download(`${url}/get_data?run_id=012100&target=${c.type}&max_n=0&format=${format}`), 0); // warmed above, outside the CPU count
      const cpu1 = cpuMs(child.pid);
      line(`${c.type} ${format}`, r, r.out);
      const cpu = cpu0 === null || cpu1 === null ? '' : `; server CPU ${((cpu1.all - cpu0.all) / REPS).toFixed(0)} ms a reply, its main thread ${((cpu1.main - cpu0.main) / REPS).toFixed(0)}`;
      console.log(''.padEnd(22), `(served ${format}: ${(transport.ms / r.ms).toFixed(2)}× the bare transport of the same bytes${stringify && format === 'json' ? `, ${(stringify.ms / r.ms).toFixed(2)}× JSON.stringify alone` : ''}${cpu})`);
    }
  }
  if (LATENCY) {
    console.log(`\nlatency, 20 concurrent clients for ${DURATION_S} s (autocannon)`);
    console.log('request'.padEnd(44), 'req/s'.padStart(8), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'errors'.padStart(7));
    for (const q of ['target=hits&max_n=1000', 'target=hits&max_n=1000&format=npy', 'target=peaks&max_n=100', 'target=peaks&max_n=100&format=npy']) {
      const r = await autocannon({ url: `${url}/get_data?run_id=012100&${q}`, connections: 20, duration: DURATION_S });
      console.log(q.padEnd(44), r.requests.average.toFixed(0).padStart(8), String(r.latency.p50).padStart(8), String(r.latency.p99).padStart(8), String(r.errors + r.non2xx).padStart(7));
    }
  }
  console.log(`load average at the end ${loadavg()}`);
} finally {
  child.kill('SIGTERM');
  bare.child.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}
