// Benchmark: one auto-process pass on a runs DB of 100 000 runs with 1 000 eligible and 500 in flight, on sqlite and
// through the mongodb driver (wire test server); the scheduler's own time (real local scheduler) is reported apart.
// Baseline, in the same run: the bare selects a pass cannot avoid (eligible runs, in-flight runs) through the RunStore.
//   npm run build && node bench/auto-process/pass.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configSchema } from '../../dist/config/schema.js';
import { memoryLogger } from '../../dist/log/index.js';
import { openRunStore } from '../../dist/rundb/index.js';
import { runAutoProcess } from '../../dist/stages/auto-process.js';
import { loadWireServer } from '../rundb/wire-server.mjs';

const N_RUNS = Number(process.env.BENCH_RUNS ?? 100_000);
const N_ELIGIBLE = 1_000;
const N_IN_FLIGHT = 500;
const HOST = 'bench-host';
const NOW = new Date();

/** Runs 1..N: the newest 1 000 pending (ended), the 500 below them submitted by this host, the rest done. */
function makeRun(n) {
  const start = new Date(NOW.getTime() - (N_RUNS - n + 1) * 3_600_000);
  const doc = {
    number: n, name: String(n).padStart(6, '0'), start, end: new Date(start.getTime() + 3_000_000), mode: 'background',
    tags: [{ name: 'ok' }], data: [{ type: 'raw_records', host: 'eb1', location: `/data/${n}-raw_records-abc`, lineage_hash: 'abc', n_chunks: 12, size_mb: 512.5 }],
  };
  if (n > N_RUNS - N_ELIGIBLE) return doc;
  if (n > N_RUNS - N_ELIGIBLE - N_IN_FLIGHT) {
    return { ...doc, daqflow: { process: {
      state: 'submitted', host: HOST, submitted_by: HOST, scheduler: 'local', job_id: String(4_000_000 + n), targets: ['event_info'],
      status_file: `/nonexistent/${n}.status`, stdout: `/nonexistent/${n}.out`, stderr: `/nonexistent/${n}.err`, submitted_at: NOW, updated_at: NOW,
    } } };
  }
  return { ...doc, daqflow: { process: { state: 'done', host: 'eb2', updated_at: NOW } } };
}

async function fill(store) {
  for (let i = 1; i <= N_RUNS; i += 10_000) {
    const batch = [];
    for (let n = i; n < Math.min(i + 10_000, N_RUNS + 1); n++) batch.push(makeRun(n));
    await store.upsertRuns(batch);
  }
}

async function bench(label, rundb) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-auto-'));
  const config = configSchema.parse({
    work_dir: work, host: HOST, rundb,
    scheduler: { kind: 'local', daqflow_command: ['true'], local_max_parallel: 1 },
    auto_process: { max_jobs_in_flight: 600, max_submit_per_pass: 100, min_free_disk_fraction: 0, running_timeout_s: 3600 },
  });
  const store = await openRunStore(config);
  try {
    const t0 = performance.now();
    await fill(store);
    const fillS = (performance.now() - t0) / 1000;
    // Baseline: the bare selects (eligible page, in-flight runs) through the same store.
    const cpuMs = (c) => (c.user + c.system) / 1000;
    const b0 = performance.now();
    const bc0 = process.cpuUsage();
    const eligible = await store.listRuns({ stage: 'process', states: ['pending', 'failed'], dueBy: NOW, order: 'desc', limit: 300, fields: ['start', 'end', 'tags'] });
    const inFlight = await store.listRuns({ stage: 'process', states: ['submitted', 'running'], userFilter: false, fields: ['start', 'end'] });
    const baseMs = performance.now() - b0;
    const baseCpuMs = cpuMs(process.cpuUsage(bc0));
    const pass = async (dryRun) => {
      const p0 = performance.now();
      const c0 = process.cpuUsage();
      const summary = await runAutoProcess({ config, configFile: null, logger: memoryLogger(), store, dryRun, handleSignals: false });
      return { ms: performance.now() - p0, cpuMs: cpuMs(process.cpuUsage(c0)), summary };
    };
    const dry = await pass(true);
    const real = await pass(false);
    const own = (r) => r.ms - r.summary.auto_process.scheduler_s * 1000;
    console.log(`${label}: ${N_RUNS} runs (filled in ${fillS.toFixed(1)} s), ${eligible.length} eligible in the first page, ${inFlight.length} in flight`);
    // CPU time of this process (the scheduler's subprocesses are not in it): steadier than wall time on a loaded machine.
    console.log(`  bare selects (baseline)           ${baseMs.toFixed(0).padStart(7)} ms   cpu ${baseCpuMs.toFixed(0).padStart(6)} ms`);
    for (const [name, r] of [['dry-run pass', dry], ['pass (100 claimed + submitted)', real]]) {
      const a = r.summary.auto_process;
      console.log(`  ${name.padEnd(32)} ${r.ms.toFixed(0).padStart(7)} ms   without scheduler ${own(r).toFixed(0).padStart(7)} ms   scheduler ${(a.scheduler_s * 1000).toFixed(0).padStart(6)} ms   ratio to baseline ${(own(r) / baseMs).toFixed(1)}   cpu ${r.cpuMs.toFixed(0).padStart(6)} ms (ratio ${(r.cpuMs / baseCpuMs).toFixed(1)})   (submitted ${a.submitted.length}, followed ${r.summary.skipped.length + r.summary.failed.length + r.summary.done.length})`);
    }
  } finally {
    await store.close();
    // The work dir stays: the local runner still works through the submitted array (payload `true`) after the pass.
  }
}

// BENCH_BACKENDS=sqlite or =mongo runs one of them (filling 100 000 runs into the in-memory wire server takes minutes).
const backends = (process.env.BENCH_BACKENDS ?? 'sqlite,mongo').split(',');
if (backends.includes('sqlite')) await bench('sqlite', { backend: 'sqlite' });
if (backends.includes('mongo')) {
  const { MongoWireServer } = await loadWireServer();
  const wire = await MongoWireServer.start();
  try {
    await bench('mongo → wire test server', { backend: 'mongo', uri: wire.uri, database: 'bench_auto' });
  } finally {
    await wire.stop();
  }
}
