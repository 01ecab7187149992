// Benchmark: `daqflow report-status --json` over 100 000 runs in a sqlite runs DB and the matching folders
// (run-record folders, strax storage, filesystem archive). Goal: ≤ 2 s wall time for the command.
// Baseline, in the same run: the reads the report cannot avoid — a bare listRuns of the runs table and a bare readdir of
// each folder — and a bare `node` process start, so the ratio shows what the report adds.
//   npm run build && node bench/report/report-status.mjs
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { loadConfig } from '../../dist/config/index.js';
import { openRunStore } from '../../dist/rundb/index.js';
import { buildReport } from '../../dist/report/index.js';

const run = promisify(execFile);
const N_RUNS = Number(process.env.BENCH_RUNS ?? 100_000);
const root = path.resolve(import.meta.dirname, '..', '..');
const NOW = new Date();
const pad = (n) => String(n).padStart(6, '0');

/** Every 50th run number never existed (gaps); every 97th failed import; the newest 1 000 are not processed yet. */
const exists = (n) => n % 50 !== 0;
function makeRun(n) {
  const start = new Date(NOW.getTime() - (N_RUNS - n + 1) * 600_000);
  const imp = n % 97 === 0 ? { state: 'failed', reason: 'bench failure', n_failures: 1, next_retry: NOW, updated_at: NOW } : { state: 'done', updated_at: NOW };
  const proc = n > N_RUNS - 1000 ? { state: n % 3 ? 'pending' : 'submitted', job_id: String(n), scheduler: 'slurm', host: 'eb1', submitted_at: start } : { state: 'done', updated_at: NOW };
  return { number: n, name: pad(n), start, end: new Date(start.getTime() + 500_000), mode: 'physics', daqflow: { import: imp, process: proc } };
}

async function setUp() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-report-'));
  const dirs = { runs: path.join(dir, 'runs'), storage: path.join(dir, 'strax'), archive: path.join(dir, 'archive') };
  for (const d of Object.values(dirs)) fs.mkdirSync(d);
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, stringify({ work_dir: path.join(dir, 'work'), host: 'bench', import: { source_dirs: [dirs.runs] }, storage: { dirs: [dirs.storage] }, archive: { path: dirs.archive } }));
  const config = loadConfig({ configPath: configFile, env: {} }).config;
  const store = await openRunStore(config);
  const t0 = performance.now();
  for (let i = 1; i <= N_RUNS; i += 10_000) {
    const batch = [];
    for (let n = i; n < Math.min(i + 10_000, N_RUNS + 1); n++) if (exists(n)) batch.push(makeRun(n));
    await store.upsertRuns(batch);
  }
  for (let n = 1; n <= N_RUNS; n++) {
    if (!exists(n)) continue;
    fs.mkdirSync(path.join(dirs.runs, pad(n)));
    if (n <= N_RUNS - 1000) fs.mkdirSync(path.join(dirs.storage, `${pad(n)}-event_info-abcdef1234`));
    if (n <= N_RUNS - 5000) fs.writeFileSync(path.join(dirs.archive, `${pad(n)}.tar`), '');
  }
  console.log(`set up ${N_RUNS} run numbers (${Math.round(N_RUNS * 0.98)} runs) in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${dir}`);
  return { dir, dirs, config, configFile, store };
}

async function timeMs(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const best = (xs) => Math.min(...xs);

async function main() {
  const w = await setUp();
  const bin = path.join(root, 'bin', 'daqflow.js');
  const cli = () => run(process.execPath, [bin, 'report-status', '--compare-state', '--json', '--config', w.configFile], { maxBuffer: 64 << 20, cwd: w.dir }).catch((e) => e);
  await cli(); // warm the file-system cache once, as a cron job finds it
  const base = [];
  const inProcess = [];
  const command = [];
  const nodeStart = [];
  for (let i = 0; i < 3; i++) {
    base.push((await timeMs(async () => {
      await w.store.listRuns({ userFilter: false, fields: ['start'] });
      for (const d of Object.values(w.dirs)) fs.readdirSync(d);
    })).ms);
    nodeStart.push((await timeMs(() => run(process.execPath, ['-e', '0']))).ms);
    inProcess.push((await timeMs(() => buildReport({ config: w.config, store: w.store, compareState: true }))).ms);
    const c = await timeMs(cli);
    if (c.value instanceof Error) throw c.value;
    command.push(c.ms);
  }
  const report = JSON.parse((await cli()).stdout);
  const b = best(base);
  console.log(`runs DB ${report.sources.rundb.count} runs, ${report.sources.live.count} run folders, ${report.sources.storage.count} in storage, ${report.sources.archive.count} archived; ${report.recommendations.length} recommendations; exit ${report.exit_code}`);
  console.log(`  baseline: bare listRuns + readdir of 3 folders   ${b.toFixed(0).padStart(6)} ms`);
  console.log(`  baseline: bare node process start              ${best(nodeStart).toFixed(0).padStart(6)} ms`);
  console.log(`  buildReport in process (--compare-state)        ${best(inProcess).toFixed(0).padStart(6)} ms   ratio to baseline ${(best(inProcess) / b).toFixed(2)}`);
  console.log(`  daqflow report-status --compare-state --json    ${best(command).toFixed(0).padStart(6)} ms   ratio to baseline + node start ${(best(command) / (b + best(nodeStart))).toFixed(2)}   goal ≤ 2000 ms: ${best(command) <= 2000 ? 'met' : 'MISSED'}`);
  await w.store.close();
  if (process.env.BENCH_KEEP !== '1') fs.rmSync(w.dir, { recursive: true, force: true });
}

await main();
