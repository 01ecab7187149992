// Benchmark: 100 000 runs; select the ≤ 1 000 eligible runs of a pass and claim 100, per backend, against a raw baseline.
//   npm run build && node bench/rundb/select-claim.mjs        (MONGODB_URI=mongodb://… adds a real mongod run)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MongoClient } from 'mongodb';
import { configSchema } from '../../dist/config/schema.js';
import { openRunStore } from '../../dist/rundb/index.js';
import { initRunsDb } from '../../dist/rundb/db-init.js';
import { loadWireServer } from './wire-server.mjs';

const N_RUNS = Number(process.env.BENCH_RUNS ?? 100_000);
const N_CLAIM = 100;
const REPEAT = 15;
const NOW = new Date('2026-11-21T06:00:00Z');
const WINDOW = { min: 40_001, max: 90_000 };
const ELIGIBLE = { stage: 'process', states: ['pending', 'failed'], dueBy: NOW, ...WINDOW, limit: 1000 };

/** Most runs done; 1 % pending (no sub-document), 1 % failed and due, 1 % failed not yet due, 2 % running. */
function makeRun(n) {
  const doc = {
    number: n,
    name: String(n).padStart(6, '0'),
    start: new Date(NOW.getTime() - (N_RUNS - n) * 3_600_000),
    end: new Date(NOW.getTime() - (N_RUNS - n) * 3_600_000 + 3_000_000),
    mode: n % 3 ? 'background_linked' : 'tpc_kr83m',
    tags: [{ name: n % 10 ? 'ok' : 'blinded' }],
    data: [{ type: 'raw_records', host: 'eb1', location: `/data/${n}-raw_records-abc`, lineage_hash: 'abc', n_chunks: 12, size_mb: 512.5 }],
  };
  const r = n % 100;
  if (r === 7) return doc;
  let process;
  if (r === 13) process = { state: 'failed', n_failures: 1, next_retry: new Date(NOW.getTime() - 60_000) };
  else if (r === 17) process = { state: 'failed', n_failures: 2, next_retry: new Date(NOW.getTime() + 3_600_000) };
  else if (r % 50 === 21) process = { state: 'running', host: 'eb2', job_id: String(n) };
  else process = { state: 'done', host: 'eb2' };
  return { ...doc, daqflow: { process: { ...process, updated_at: NOW } } };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeIt(fn, repeat = REPEAT) {
  const times = [];
  let result;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    result = await fn();
    times.push(performance.now() - t);
  }
  return { ms: median(times), result };
}

function report(label, store, base) {
  const ratio = store / base;
  console.log(`  ${label.padEnd(34)} ${store.toFixed(2).padStart(9)} ms   baseline ${base.toFixed(2).padStart(9)} ms   ratio ${ratio.toFixed(2)}`);
}

async function claimMany(store, runs, host) {
  let won = 0;
  for (const run of runs) if (await store.claimRun(run.number, 'process', { from: ['pending', 'failed'], to: 'claimed', host, dueBy: NOW })) won++;
  return won;
}

async function benchSqlite(docs) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-'));
  const config = configSchema.parse({ work_dir: work, rundb: { backend: 'sqlite' } });
  const store = await openRunStore(config, { now: () => NOW });
  let t = performance.now();
  await store.upsertRuns(docs);
  console.log(`sqlite (${store.location}): loaded ${N_RUNS} runs in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const select = await timeIt(() => store.listRuns(ELIGIBLE));
  const raw = new Database(store.location);
  const sql = `SELECT r.number, r.doc FROM runs r LEFT JOIN run_stage s ON s.stage = 'process' AND s.number = r.number
    WHERE r.number >= ? AND r.number <= ? AND (s.state IS NULL OR s.state = 'pending' OR s.state = 'failed')
    AND (s.next_retry IS NULL OR s.next_retry <= ?) ORDER BY r.number LIMIT 1000`;
  const stmt = raw.prepare(sql);
  const base = await timeIt(() => stmt.all(WINDOW.min, WINDOW.max, NOW.getTime()).map((r) => JSON.parse(r.doc)));
  if (base.result.length !== select.result.length) throw new Error(`baseline selected ${base.result.length}, store ${select.result.length}`);
  console.log(`  eligible runs selected: ${select.result.length} of ${N_RUNS}`);
  report('select eligible (listRuns)', select.ms, base.ms);
  const toClaim = select.result.slice(0, N_CLAIM);
  t = performance.now();
  const won = await claimMany(store, toClaim, 'bench');
  const claimMs = performance.now() - t;
  // Baseline: the same number of one-row write transactions with raw SQL (same WAL, same synchronous=FULL).
  raw.pragma('synchronous = FULL');
  const update = raw.prepare("UPDATE run_stage SET state = 'claimed' WHERE stage = 'process' AND number = ? AND state = 'failed'");
  const others = select.result.slice(N_CLAIM, 2 * N_CLAIM);
  t = performance.now();
  for (const run of others) raw.transaction(() => update.run(run.number)).immediate();
  const rawClaimMs = performance.now() - t;
  if (won !== N_CLAIM) throw new Error(`claimed ${won} of ${N_CLAIM}`);
  report(`claim ${N_CLAIM} (claimRun each)`, claimMs, rawClaimMs);
  console.log(`  per claim: ${(claimMs / N_CLAIM).toFixed(2)} ms (raw ${(rawClaimMs / N_CLAIM).toFixed(2)} ms)`);
  raw.close();
  await store.close();
  fs.rmSync(work, { recursive: true, force: true });
  return { select: select.ms, selectBase: base.ms, claim: claimMs, claimBase: rawClaimMs };
}

async function benchMongo(label, uri, docs) {
  const database = `daqflow_bench_${process.pid}`;
  const client = new MongoClient(uri);
  await client.connect();
  const coll = client.db(database).collection('runs');
  await coll.drop().catch(() => undefined);
  let t = performance.now();
  for (let i = 0; i < docs.length; i += 10_000) await coll.insertMany(docs.slice(i, i + 10_000).map((d) => ({ ...d })), { ordered: false });
  console.log(`${label}: loaded ${N_RUNS} runs in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const config = configSchema.parse({ work_dir: os.tmpdir(), rundb: { backend: 'mongo', uri, database } });
  t = performance.now();
  await initRunsDb(config);
  console.log(`  daqflow db init (indexes): ${(performance.now() - t).toFixed(0)} ms`);
  const store = await openRunStore(config, { now: () => NOW });
  const repeat = label.includes('wire') ? 5 : REPEAT;
  // One untimed pass first: the strict wire server builds its promoted copies of all documents on the first scan.
  await store.listRuns(ELIGIBLE);
  const select = await timeIt(() => store.listRuns(ELIGIBLE), repeat);
  const filter = {
    $and: [
      { number: { $gte: WINDOW.min, $lte: WINDOW.max } },
      { 'daqflow.process.state': { $in: ['pending', 'failed', null] } },
      { $or: [{ 'daqflow.process.next_retry': null }, { 'daqflow.process.next_retry': { $lte: NOW } }] },
    ],
  };
  const base = await timeIt(() => coll.find(filter).sort({ number: 1 }).limit(1000).toArray(), repeat);
  if (base.result.length !== select.result.length) throw new Error(`baseline selected ${base.result.length}, store ${select.result.length}`);
  console.log(`  eligible runs selected: ${select.result.length} of ${N_RUNS}`);
  report('select eligible (listRuns)', select.ms, base.ms);
  const rawClaim = async (runs) => {
    for (const run of runs) {
      await coll.findOneAndUpdate(
        { number: run.number, 'daqflow.process.state': { $in: ['pending', 'failed', null] } },
        { $set: { 'daqflow.process.state': 'claimed', 'daqflow.process.host': 'raw', 'daqflow.process.updated_at': NOW } },
        { returnDocument: 'after' },
      );
    }
  };
  // Warm both paths up on 20 runs each, then time 100 claims of each kind on distinct runs.
  await claimMany(store, select.result.slice(0, 20), 'warm');
  await rawClaim(select.result.slice(20, 40));
  // Alternating halves, so neither side profits from running second.
  let claimMs = 0;
  let rawClaimMs = 0;
  let won = 0;
  for (let half = 0; half < 2; half++) {
    const start = 40 + half * N_CLAIM;
    t = performance.now();
    await rawClaim(select.result.slice(start + N_CLAIM / 2, start + N_CLAIM));
    rawClaimMs += performance.now() - t;
    t = performance.now();
    won += await claimMany(store, select.result.slice(start, start + N_CLAIM / 2), 'bench');
    claimMs += performance.now() - t;
  }
  if (won !== N_CLAIM) throw new Error(`claimed ${won} of ${N_CLAIM}`);
  report(`claim ${N_CLAIM} (claimRun each)`, claimMs, rawClaimMs);
  console.log(`  per claim: ${(claimMs / N_CLAIM).toFixed(2)} ms (raw ${(rawClaimMs / N_CLAIM).toFixed(2)} ms)`);
  await store.close();
  await client.db(database).dropDatabase();
  await client.close();
  return { select: select.ms, selectBase: base.ms, claim: claimMs, claimBase: rawClaimMs };
}

const docs = Array.from({ length: N_RUNS }, (_, i) => makeRun(i + 1));
console.log(`daqflow rundb select-claim benchmark: ${N_RUNS} runs, window ${WINDOW.min}-${WINDOW.max}, node ${process.version}, ${os.cpus().length} CPUs`);
const results = { sqlite: await benchSqlite(docs) };
const { MongoWireServer } = await loadWireServer();
const wire = await MongoWireServer.start();
results.wire = await benchMongo('mongo via driver → wire test server (in-process, mingo scan)', wire.uri, docs);
await wire.close();
if (process.env.MONGODB_URI) results.mongod = await benchMongo('mongo via driver → real mongod', process.env.MONGODB_URI, docs);
else console.log('MONGODB_URI not set: real mongod run skipped');
const goal = results.sqlite.select <= 100 ? 'met' : 'NOT met';
console.log(`goal: sqlite selection ≤ 100 ms for ${N_RUNS} runs: ${goal} (${results.sqlite.select.toFixed(1)} ms)`);
