// Benchmark: `daqflow report-status --json` (and `--compare-state --json`) over 100 000 runs in sqlite; goal ≤ 2 s wall.
// The runs DB is sqlite, with the matching folders (run-record folders, strax storage, filesystem archive).
// Baselines, in the same run: the reads the report cannot avoid — the run numbers, start times and state sub-documents
// read straight from SQLite (better-sqlite3, no daqflow code), a bare readdir of each folder — and a bare `node` process
// start, so the ratio shows what the report adds. The commands' CPU time (user + system, all threads) is printed too:
// on a shared machine it moves less than the wall time. Best of BENCH_REPEAT (3) after one warm-up.
//   npm run build && node bench/report/report-status.mjs
//   BENCH_RUNS=20000 …             fewer runs;  BENCH_KEEP=1 … keeps the set-up folder;  BENCH_DIR=<kept folder> … reuses it
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { loadConfig } from '../../dist/config/index.js';
import { openRunStore } from '../../dist/rundb/index.js';
import { buildReport } from '../../dist/report/index.js';

const run = promisify(execFile);
const N_RUNS = Number(process.env.BENCH_RUNS ?? 100_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const root = path.resolve(import.meta.dirname, '..', '..');
const NOW = new Date();
const pad = (n) => String(n).padStart(6, '0');

/**
 * Every 50th run number never existed (gaps); every 97th failed import; the newest 1 000 are not processed yet, the
 * newest 5 000 not archived. A run's `data` list records what the folders hold, as process and migrate register it.
 */
const exists = (n) => n % 50 !== 0;
const processed = (n) => n <= N_RUNS - 1000;
const archived = (n) => n <= N_RUNS - 5000;
function dataOf(n, at) {
  const lineage = { event_info: ['EventInfo', '0.2.0', { electron_lifetime: 600 }], peak_basics: ['PeakBasics', '0.1.0', {}] };
  const strax = { type: 'event_info', host: 'eb1', location: `/strax/${pad(n)}-event_info-abcdef1234`, protocol: 'FileSytemBackend', meta: { lineage }, lineage_hash: 'abcdef1234', n_chunks: 4, size_mb: 12.5, compressor: 'zstd', at };
  const archive = { type: 'archive', host: 'archive', location: `archive/${pad(n)}.tar`, protocol: 'filesystem', md5: '0123456789abcdef0123456789abcdef', size_mb: 3.2, at };
  return [...(processed(n) ? [strax] : []), ...(archived(n) ? [archive] : [])];
}
function makeRun(n) {
  const start = new Date(NOW.getTime() - (N_RUNS - n + 1) * 600_000);
  const imp = n % 97 === 0 ? { state: 'failed', reason: 'bench failure', n_failures: 1, next_retry: NOW, updated_at: NOW } : { state: 'done', updated_at: NOW };
  const proc = processed(n) ? { state: 'done', updated_at: NOW } : { state: n % 3 ? 'pending' : 'submitted', job_id: String(n), scheduler: 'slurm', host: 'eb1', submitted_at: start };
  return { number: n, name: pad(n), start, end: new Date(start.getTime() + 500_000), mode: 'physics', data: dataOf(n, NOW), daqflow: { import: imp, process: proc } };
}

async function setUp() {
  const reuse = process.env.BENCH_DIR;
  const dir = reuse ?? fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-report-'));
  const dirs = { runs: path.join(dir, 'runs'), storage: path.join(dir, 'strax'), archive: path.join(dir, 'archive') };
  const configFile = path.join(dir, 'config.yaml');
  if (!reuse) {
    for (const d of Object.values(dirs)) fs.mkdirSync(d);
    fs.writeFileSync(configFile, stringify({ work_dir: path.join(dir, 'work'), host: 'bench', import: { source_dirs: [dirs.runs] }, storage: { dirs: [dirs.storage] }, archive: { path: dirs.archive } }));
  }
  const config = loadConfig({ configPath: configFile, env: {} }).config;
  const store = await openRunStore(config);
  if (reuse) {
    console.log(`reusing ${dir} (${await store.countRuns({ userFilter: false })} runs)`);
    return { dir, dirs, config, configFile, store, sqlitePath: store.location, kept: true };
  }
  const t0 = performance.now();
  for (let i = 1; i <= N_RUNS; i += 10_000) {
    const batch = [];
    for (let n = i; n < Math.min(i + 10_000, N_RUNS + 1); n++) if (exists(n)) batch.push(makeRun(n));
    await store.upsertRuns(batch);
  }
  for (let n = 1; n <= N_RUNS; n++) {
    if (!exists(n)) continue;
    fs.mkdirSync(path.join(dirs.runs, pad(n)));
    if (processed(n)) fs.mkdirSync(path.join(dirs.storage, `${pad(n)}-event_info-abcdef1234`));
    if (archived(n)) fs.writeFileSync(path.join(dirs.archive, `${pad(n)}.tar`), '');
  }
  console.log(`set up ${N_RUNS} run numbers (${Math.round(N_RUNS * 0.98)} runs) in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${dir}`);
  return { dir, dirs, config, configFile, store, sqlitePath: store.location, kept: false };
}

async function timeMs(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const best = (xs) => Math.min(...xs);
const fmt = (ms) => ms.toFixed(0).padStart(6);

/** The child reports its own CPU time (user + system, every thread) on stderr as it exits. */
const CPU_HOOK = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('\\nbench-cpu-us '+(u.user+u.system)+'\\n')})`;
const cpuMsOf = (stderr) => Number(/bench-cpu-us (\d+)/.exec(stderr)?.[1] ?? NaN) / 1000;

/** What the report cannot avoid reading, without daqflow's code: numbers, starts and state sub-documents, and the folders. */
function rawReads(w) {
  const db = new Database(w.sqlitePath, { readonly: true });
  try {
    let n = 0;
    for (const row of db.prepare("SELECT number, doc -> '$.start' AS start, doc -> '$.daqflow' AS daqflow FROM runs").iterate()) {
      JSON.parse(row.start);
      JSON.parse(row.daqflow);
      n++;
    }
    for (const d of Object.values(w.dirs)) n += fs.readdirSync(d).length;
    return n;
  } finally {
    db.close();
  }
}

async function main() {
  const w = await setUp();
  const bin = path.join(root, 'bin', 'daqflow.js');
  const cli = (extra) => run(process.execPath, ['--import', CPU_HOOK, bin, 'report-status', ...extra, '--json', '--config', w.configFile], { maxBuffer: 64 << 20, cwd: w.dir }).catch((e) => e);
  const variants = [
    { label: 'daqflow report-status --json', args: [] },
    { label: 'daqflow report-status --compare-state --json', args: ['--compare-state'] },
  ];
  for (const v of variants) await cli(v.args); // warm the file-system cache once, as a cron job finds it
  const times = { raw: [], listRuns: [], nodeStart: [], inProcess: [], inProcessCompare: [] };
  for (const v of variants) Object.assign(v, { wall: [], cpu: [] });
  for (let i = 0; i < REPEAT; i++) {
    times.raw.push((await timeMs(() => rawReads(w))).ms);
    times.listRuns.push((await timeMs(async () => {
      await w.store.listRuns({ userFilter: false, fields: ['start'] });
      for (const d of Object.values(w.dirs)) fs.readdirSync(d);
    })).ms);
    times.nodeStart.push((await timeMs(() => run(process.execPath, ['-e', '0']))).ms);
    times.inProcess.push((await timeMs(() => buildReport({ config: w.config, store: w.store, compareState: false }))).ms);
    times.inProcessCompare.push((await timeMs(() => buildReport({ config: w.config, store: w.store, compareState: true }))).ms);
    for (const v of variants) {
      const c = await timeMs(() => cli(v.args));
      if (c.value instanceof Error) throw c.value;
      v.wall.push(c.ms);
      v.cpu.push(cpuMsOf(c.value.stderr));
    }
  }
  const report = JSON.parse((await cli(['--compare-state'])).stdout);
  const base = best(times.raw);
  const start = best(times.nodeStart);
  console.log(`${new Date().toISOString()}  load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}  (${os.cpus().length} cores)`);
  console.log(`runs DB ${report.sources.rundb.count} runs, ${report.sources.live.count} run folders, ${report.sources.storage.count} in storage, ${report.sources.archive.count} archived; ${report.recommendations.length} recommendations; exit ${report.exit_code}`);
  console.log(`  baseline: raw SQLite read (number, start, state) + readdir of 3 folders ${fmt(base)} ms`);
  console.log(`  baseline: bare node process start                                     ${fmt(start)} ms`);
  console.log(`  bare listRuns({fields: ['start']}) + readdir of 3 folders             ${fmt(best(times.listRuns))} ms   ratio to baseline ${(best(times.listRuns) / base).toFixed(2)}`);
  console.log(`  buildReport in process                                                ${fmt(best(times.inProcess))} ms   ratio to baseline ${(best(times.inProcess) / base).toFixed(2)}`);
  console.log(`  buildReport in process (--compare-state)                              ${fmt(best(times.inProcessCompare))} ms   ratio to baseline ${(best(times.inProcessCompare) / base).toFixed(2)}`);
  for (const v of variants) {
    const wall = best(v.wall);
    console.log(`  ${v.label.padEnd(70)}${fmt(wall)} ms   cpu ${fmt(best(v.cpu))} ms   ratio to baseline + node start ${(wall / (base + start)).toFixed(2)}   goal ≤ 2000 ms: ${wall <= 2000 ? 'met' : 'MISSED'}`);
  }
  await w.store.close();
  if (process.env.BENCH_KEEP !== '1' && !w.kept) fs.rmSync(w.dir, { recursive: true, force: true });
}

await main();
