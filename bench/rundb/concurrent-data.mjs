// Benchmark: 10 processes claiming at once (claims/s), and addData on runs with 500 data entries (time and bytes sent per
// call): each against a baseline measured in the same run.
//   npm run build && node bench/rundb/concurrent-data.mjs        (MONGODB_URI=mongodb://… adds a real mongod run)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { MongoClient } from 'mongodb';
import { configSchema } from '../../dist/config/schema.js';
import { initRunsDb } from '../../dist/rundb/db-init.js';
import { openRunStore } from '../../dist/rundb/index.js';
import { loadWireServer } from './wire-server.mjs';

const SELF = fileURLToPath(import.meta.url);
const N_PROCESSES = 10;
const N_RUNS = Number(process.env.BENCH_CLAIM_RUNS ?? 1000);
const N_ENTRIES = 500;
const N_CALLS = 40;

// ---- worker side: claim until nothing is left, the daqflow way or the raw baseline way -------------------------------
async function worker([, , , mode, configJson, host]) {
  const config = configSchema.parse(JSON.parse(configJson));
  let claim;
  let close;
  if (mode === 'store') {
    const store = await openRunStore(config);
    claim = () => store.claimNext('process', { from: ['pending'], to: 'claimed', host });
    close = () => store.close();
  } else if (config.rundb.backend === 'mongo') {
    // Baseline: the bare findOneAndUpdate a hand-written claimer would send.
    const client = await new MongoClient(config.rundb.uri).connect();
    const coll = client.db(config.rundb.database).collection('runs');
    claim = () => coll.findOneAndUpdate({ 'daqflow.process.state': null }, { $set: { 'daqflow.process.state': 'claimed', 'daqflow.process.host': host } }, { sort: { number: 1 } });
    close = () => client.close();
  } else {
    // Baseline: one BEGIN IMMEDIATE transaction that marks the lowest unclaimed run in the indexed side table.
    const db = new Database(path.join(config.work_dir, 'runs.sqlite'), { timeout: 60_000 });
    db.pragma('synchronous = FULL'); // as daqflow: every commit is on disk
    const pick = db.prepare("SELECT r.number FROM runs r LEFT JOIN run_stage s ON s.stage = 'process' AND s.number = r.number WHERE s.state IS NULL ORDER BY r.number LIMIT 1");
    const mark = db.prepare("INSERT INTO run_stage (number, stage, state) VALUES (?, 'process', 'claimed')");
    claim = async () => db.transaction(() => {
      const row = pick.get();
      if (row) mark.run(row.number);
      return row ?? null;
    }).immediate();
    close = async () => db.close();
  }
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  let n = 0;
  while (await claim()) n++;
  await close();
  process.stdout.write(`${n}\n`);
}

// ---- parent side --------------------------------------------------------------------------------------------------
/** Starts N workers, releases them together, returns claims per second over the wall time from "go" to the last exit. */
async function claimRace(mode, config) {
  const children = Array.from({ length: N_PROCESSES }, (_, i) =>
    spawn(process.execPath, [SELF, 'worker', mode, JSON.stringify(config), `bench${i}`], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const outs = children.map((c) => {
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    return { ready: new Promise((r) => c.stdout.on('data', () => out.includes('ready\n') && r())), done: new Promise((r) => c.once('close', () => r(Number(out.split('\n')[1])))) };
  });
  await Promise.all(outs.map((o) => o.ready));
  const t = performance.now();
  for (const c of children) c.stdin.end('go\n');
  const counts = await Promise.all(outs.map((o) => o.done));
  const s = (performance.now() - t) / 1000;
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== N_RUNS) throw new Error(`${mode}: ${total} claims for ${N_RUNS} runs`);
  return total / s;
}

async function freshRuns(config) {
  await initRunsDb(config);
  const store = await openRunStore(config);
  await store.upsertRuns(Array.from({ length: N_RUNS }, (_, i) => ({ number: i + 1, name: String(i + 1).padStart(6, '0') })));
  await store.close();
}

async function benchClaims(label, rundb) {
  const rates = {};
  for (const mode of ['baseline', 'store']) {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-'));
    const config = { work_dir: work, rundb: { ...rundb, ...(rundb.database ? { database: `${rundb.database}_${mode}` } : {}) } };
    await freshRuns(configSchema.parse(config));
    rates[mode] = await claimRace(mode, config);
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`  ${label}: ${N_PROCESSES} processes claim ${N_RUNS} runs: ${rates.store.toFixed(0)} claims/s   baseline ${rates.baseline.toFixed(0)} claims/s   ratio ${(rates.store / rates.baseline).toFixed(2)}`);
  return rates;
}

/** 500 entries as bootstrax, rucio and straxen leave them: other hosts, unknown keys, int64-ish numbers. */
function entries() {
  return Array.from({ length: N_ENTRIES }, (_, i) => ({
    type: `type${i % 50}`, host: i % 3 ? `eb${i % 5}.xenon.local` : 'rucio-catalogue', location: `/data/xenonnt_processed/012100-type${i}-abcdefghij`,
    protocol: 'FileSytemBackend', meta: { lineage_hash: 'abcdefghij', chunks: i, size_mb: i + 0.5 }, did: `xnt_012100:type${i}-abcdefghij`, creation_time: new Date(),
  }));
}

/** The pre-issue-9 addData: read `data`, rewrite the whole array guarded by the array as read (compare-and-set). */
async function wholeArrayAddData(coll, number, entry) {
  for (;;) {
    const current = await coll.findOne({ number }, { projection: { data: 1 } });
    const data = [...(current.data ?? [])];
    const at = data.findIndex((e) => e.type === entry.type && e.host === entry.host && e.location === entry.location);
    if (at >= 0) data[at] = entry;
    else data.push(entry);
    if (await coll.findOneAndUpdate({ number, data: current.data }, { $set: { data } }, { returnDocument: 'after' })) return;
  }
}

async function benchAddData(label, uri, bytesIn) {
  const database = `daqflow_bench_data_${process.pid}`;
  const client = await new MongoClient(uri).connect();
  const coll = client.db(database).collection('runs');
  await coll.insertMany([1, 2].map((number) => ({ number, name: String(number).padStart(6, '0'), data: entries() })));
  const config = configSchema.parse({ work_dir: os.tmpdir(), rundb: { backend: 'mongo', uri, database } });
  await initRunsDb(config);
  const store = await openRunStore(config);
  const measure = async (fn) => {
    const times = [];
    const before = bytesIn?.();
    for (let i = 0; i < N_CALLS; i++) {
      const t = performance.now();
      await fn(i);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return { ms: times[Math.floor(times.length / 2)], bytes: bytesIn ? (bytesIn() - before) / N_CALLS : NaN };
  };
  // Half the calls add a new entry, half replace an existing one.
  const entry = (i) => ({ type: `new${i % 2 ? i : 0}`, host: 'eb9.xenon.local', location: `/data/new${i % 2 ? i : 0}`, n_chunks: i, size_mb: 1.5 });
  const after = await measure((i) => store.addData(1, entry(i)));
  const old = await measure((i) => wholeArrayAddData(coll, 2, entry(i)));
  const kb = (b) => (Number.isNaN(b) ? 'n/a' : `${(b / 1024).toFixed(1)} kB`);
  console.log(`  ${label}: addData on a run with ${N_ENTRIES} entries: ${after.ms.toFixed(2)} ms and ${kb(after.bytes)} sent per call (targeted)   baseline (whole-array rewrite) ${old.ms.toFixed(2)} ms and ${kb(old.bytes)}   ratio time ${(after.ms / old.ms).toFixed(2)}, bytes ${(after.bytes / old.bytes).toFixed(3)}`);
  await store.close();
  await client.db(database).dropDatabase();
  await client.close();
}

if (process.argv[2] === 'worker') {
  await worker(process.argv);
} else {
  console.log(`daqflow rundb concurrency and data-entry benchmark: node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}`);
  await benchClaims('sqlite', { backend: 'sqlite', busy_timeout_ms: 60_000 });
  const { MongoWireServer } = await loadWireServer();
  const wire = await MongoWireServer.start();
  await benchClaims('mongo → wire test server', { backend: 'mongo', uri: wire.uri, database: 'bench_claims' });
  await benchAddData('mongo → wire test server', wire.uri, () => wire.bytesIn);
  await wire.close();
  if (process.env.MONGODB_URI) {
    await benchClaims('mongo → real mongod', { backend: 'mongo', uri: process.env.MONGODB_URI, database: `daqflow_bench_claims_${process.pid}` });
    await benchAddData('mongo → real mongod (bytes not measured)', process.env.MONGODB_URI, undefined);
  } else console.log('MONGODB_URI not set: real mongod runs skipped');
}
