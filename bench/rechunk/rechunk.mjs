// Benchmark: `rechunk` of 200 MB of records in 2 MB lz4 chunks to 100 MB zstd chunks, against the bare codecs
// (lz4 decode, then zstd encode of the same rows in 100 MB buffers) in the same run; peak memory against the target;
// 1 vs 2 compression threads. Each measurement runs in its own process (its peak RSS is its own).
// Needs a build (npm run build). Run: node bench/rechunk/rechunk.mjs [MB=200] [repeats=3]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirectory, rechunk, recordDtype } from '../../dist/strax/index.js';
import { synthRecords } from '../strax-io/synth.mjs';

const MB = Number(process.argv[2] ?? 200);
const REPEATS = Number(process.argv[3] ?? 3);
const TARGET_MB = 100;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-rechunk-'));
const source = path.join(dir, 'pre_processed');
const layout = recordDtype();

// The source: MB of records cut into ~2 MB chunks by strax's own rule, lz4, as the live path writes them.
async function* synth() {
  const n = Math.floor((MB * 1e6) / layout.itemsize);
  const { bytes, end } = synthRecords(layout, n, 1);
  const first = new DataView(bytes.buffer).getBigInt64(0, true);
  yield { start: first, end, data: bytes };
}
const saver = await new DataDirectory(source).save({ runId: '000001', dataType: 'records', dtype: layout, lineage: { records: ['Bench', '0', {}] }, compressor: 'lz4' });
for await (const c of rechunk(synth(), layout, 2)) await saver.save(c);
const md = await saver.close();
const ds = new DataDirectory(source).list()[0];
console.log(`source: ${(md.chunks.reduce((a, c) => a + c.nbytes, 0) / 1e6).toFixed(0)} MB of rows in ${md.chunks.length} lz4 chunks (${(ds.sizeOnDisk / 1e6).toFixed(0)} MB on disk), ${os.cpus().length} cores, ${os.cpus()[0].model}`);

function child(args) {
  const out = execFileSync(process.execPath, [path.join(import.meta.dirname, 'child.mjs'), ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop());
}
function best(args) {
  const runs = Array.from({ length: REPEATS }, () => child(args));
  return { seconds: Math.min(...runs.map((r) => r.seconds)), rssMb: Math.max(...runs.map((r) => r.rssMb)), detail: runs[0].detail };
}

const bytes = md.chunks.reduce((a, c) => a + c.nbytes, 0) / 1e6;
const rows = [];
const baseline = best(['codec', ds.path, String(TARGET_MB)]);
rows.push(['bare codecs: lz4 decode + zstd encode in 100 MB buffers (in memory)', baseline]);
const variants = [
  ['rechunk, max_threads 1, deep_compare off', ['rechunk', source, String(TARGET_MB), '1', 'false']],
  ['rechunk, max_threads 2, deep_compare off', ['rechunk', source, String(TARGET_MB), '2', 'false']],
  ['rechunk, max_threads 1, deep_compare on', ['rechunk', source, String(TARGET_MB), '1', 'true']],
  ['rechunk, max_threads 2, deep_compare on', ['rechunk', source, String(TARGET_MB), '2', 'true']],
];
for (const [what, args] of variants) rows.push([what, best(args)]);
console.log(`\n${MB} MB of records, 2 MB lz4 chunks → ${TARGET_MB} MB zstd chunks; best of ${REPEATS}; peak RSS is the process's maxRSS\n`);
console.log('| measurement | s | MB/s of rows | × bare codecs | peak RSS MB | RSS / target |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [what, r] of rows) {
  console.log(`| ${what} | ${r.seconds.toFixed(2)} | ${(bytes / r.seconds).toFixed(0)} | ${(baseline.seconds / r.seconds).toFixed(2)} | ${r.rssMb.toFixed(0)} | ${(r.rssMb / TARGET_MB).toFixed(2)} |`);
}
for (const [what, r] of rows) if (r.detail) console.log(`${what}: ${r.detail}`);
fs.rmSync(dir, { recursive: true, force: true });
