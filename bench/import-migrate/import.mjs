// Benchmark: `daqflow import` of N small run folders (a fake DAQ's run records), runs per minute, against a baseline
// measured in the same run on the same files: a bare directory scan + streamed MD5 of every file (what any importer
// must at least do). Goal ≥ 1000 runs/min (the SBND archiver documents 10–30). Needs a build (npm run build).
// Run: node bench/import-migrate/import.mjs [N]
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import { writeFileAtomicSync } from '../../dist/util/atomic-write.js';

const N = Number(process.argv[2] ?? process.env.BENCH_N ?? 10_000);
const root = path.resolve(import.meta.dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-import-'));
const source = path.join(dir, 'runs');

/** A small run folder as the SBND run-record writer leaves it: a few FHiCL/text/JSON/YAML files, 1–4 kB each. */
function writeRun(run) {
  const d = path.join(source, String(run).padStart(6, '0'));
  fs.mkdirSync(path.join(d, 'run_record'), { recursive: true });
  const start = new Date(Date.UTC(2026, 0, 1) + run * 60_000).toISOString();
  fs.writeFileSync(path.join(d, 'run_record', 'run_info.json'), JSON.stringify({ number: run, start, end: start, mode: 'physics', components: Array.from({ length: 20 }, (_, i) => `tpc${i}`) }));
  fs.writeFileSync(path.join(d, 'run_record', 'settings.yaml'), Array.from({ length: 40 }, (_, i) => `key_${i}: ${run * i}`).join('\n') + '\n');
  fs.writeFileSync(path.join(d, 'boot.fcl'), `daq: {\n${Array.from({ length: 60 }, (_, i) => `  param_${i}: ${i}`).join('\n')}\n}\n`);
  fs.writeFileSync(path.join(d, 'metadata.txt'), `run ${run}\n`.repeat(100));
  fs.writeFileSync(path.join(d, 'run_record', 'end_of_run.json'), JSON.stringify({ end: start }));
}

const t0 = performance.now();
for (let run = 1; run <= N; run++) writeRun(run);
console.log(`wrote ${N} run folders in ${((performance.now() - t0) / 1000).toFixed(1)} s under ${source}`);
fs.writeFileSync(path.join(dir, 'config.yaml'), `work_dir: ${dir}/work\nimport:\n  source_dirs: [${source}]\n`);

/** Baseline: list every run folder, walk it, MD5 every file (streamed), with the same concurrency as the import. */
async function baseline(concurrency) {
  const md5 = async (file) => {
    const hash = crypto.createHash('md5');
    await pipeline(fs.createReadStream(file), hash);
    return hash.digest('hex');
  };
  const walk = async (d) => {
    let n = 0;
    for (const e of await fs.promises.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) n += await walk(p);
      else if (e.isFile()) (await md5(p), n++);
    }
    return n;
  };
  const runs = (await fs.promises.readdir(source)).filter((n) => /^\d{6}$/.test(n));
  let next = 0;
  const counts = await Promise.all(Array.from({ length: concurrency }, async () => {
    let n = 0;
    while (next < runs.length) n += await walk(path.join(source, runs[next++]));
    return n;
  }));
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Second baseline, the floor of any importer that records each run durably the moment it is done: the same scan and
 * MD5s plus, per run, three SQLite commits with synchronous=FULL (document, data entry, stage state) and one atomic
 * ledger write (temp + fsync + rename + folder fsync), as daqflow does.
 */
async function durableBaseline() {
  const db = new Database(path.join(dir, 'baseline.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE runs (number INTEGER PRIMARY KEY, doc TEXT NOT NULL)');
  const put = db.prepare('INSERT INTO runs (number, doc) VALUES (?, ?) ON CONFLICT(number) DO UPDATE SET doc = excluded.doc');
  const runs = (await fs.promises.readdir(source)).filter((n) => /^\d{6}$/.test(n)).sort();
  for (const name of runs) {
    const d = path.join(source, name);
    const files = [];
    const walk = async (rel) => {
      for (const e of await fs.promises.readdir(path.join(d, rel), { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(r);
        else {
          const hash = crypto.createHash('md5');
          await pipeline(fs.createReadStream(path.join(d, r)), hash);
          files.push({ name: r, md5: hash.digest('hex') });
        }
      }
    };
    await walk('');
    const doc = JSON.stringify({ number: Number(name), files });
    for (let i = 0; i < 3; i++) put.run(Number(name), doc);
    writeFileAtomicSync(path.join(dir, 'baseline-ledger.json'), JSON.stringify({ last: name }));
  }
  db.close();
}

const concurrency = 4; // pass.concurrency's default
const b0 = performance.now();
const files = await baseline(concurrency);
const baseS = (performance.now() - b0) / 1000;
const d0 = performance.now();
await durableBaseline();
const durableS = (performance.now() - d0) / 1000;

const i0 = performance.now();
const out = execFileSync(process.execPath, [path.join(root, 'bin/daqflow.js'), 'import', '--incremental', '--config', path.join(dir, 'config.yaml'), '--json', '-q'], {
  maxBuffer: 1 << 30,
});
const importS = (performance.now() - i0) / 1000;
const summary = JSON.parse(out.toString());
if (summary.done.length !== N) throw new Error(`import did ${summary.done.length} of ${N} runs: ${JSON.stringify(summary.failed.slice(0, 3))}`);

const perMin = (s) => Math.round((N / s) * 60);
console.log(`baseline (scan + streamed MD5 of ${files} files, ${concurrency} at a time): ${baseS.toFixed(1)} s = ${perMin(baseS)} runs/min`);
console.log(`baseline + durable per-run writes (3 SQLite FULL commits + 1 atomic ledger write per run): ${durableS.toFixed(1)} s = ${perMin(durableS)} runs/min`);
console.log(`daqflow import --incremental (process start to exit, ${N} runs, runs DB sqlite): ${importS.toFixed(1)} s = ${perMin(importS)} runs/min`);
console.log(`ratio daqflow/scan+MD5: ${(baseS / importS).toFixed(2)}×; daqflow/durable baseline: ${(durableS / importS).toFixed(2)}×; goal ≥ 1000 runs/min: ${perMin(importS) >= 1000 ? 'met' : 'NOT met'}`);
fs.rmSync(dir, { recursive: true, force: true });
