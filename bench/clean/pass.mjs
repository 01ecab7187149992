// Benchmark: one clean pass (dry run, then --execute) over 5 000 runs on sqlite, each with a live folder and a strax
// dataset on disk; 500 runs are done+verified with two raw copies elsewhere (their live data goes).
// Baselines, in the same run: the work a pass cannot avoid — list the runs, read each run's fields, scan the folders —
// and for --execute also as many bare deletions (runs-DB move + folder removal) as the pass makes.
//   npm run build && node bench/clean/pass.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configSchema } from '../../dist/config/schema.js';
import { memoryLogger } from '../../dist/log/index.js';
import { openRunStore } from '../../dist/rundb/index.js';
import { runClean } from '../../dist/stages/clean.js';
import { scanRunFolders } from '../../dist/stages/clean/folders.js';

const N_RUNS = Number(process.env.BENCH_RUNS ?? 5_000);
const N_DONE = N_RUNS / 10;
const HOST = 'bench-host';
const ago = (h) => new Date(Date.now() - h * 3_600_000);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-clean-'));
const strax = path.join(work, 'strax_data');
const live = path.join(work, 'live_data');
const config = configSchema.parse({ work_dir: work, host: HOST, storage: { dirs: [strax] }, live: { dir: live } });
const store = await openRunStore(config);
try {
  const docs = [];
  for (let n = 1; n <= N_RUNS; n++) {
    const name = String(n).padStart(6, '0');
    const liveDir = path.join(live, name);
    const ds = path.join(strax, `${name}-peaklets-abcdefghij`);
    fs.mkdirSync(liveDir, { recursive: true });
    fs.mkdirSync(ds, { recursive: true });
    fs.writeFileSync(path.join(liveDir, 'reader_0_000000'), Buffer.alloc(1024));
    fs.writeFileSync(path.join(ds, 'metadata.json'), '{}');
    const done = n <= N_DONE;
    docs.push({
      number: n, name, end: ago(48),
      data: [
        { type: 'live', host: HOST, location: liveDir },
        { type: 'peaklets', host: HOST, location: ds, lineage_hash: 'abcdefghij' },
        { type: 'raw_records', host: 'rucio-catalogue', location: 'UC_DALI_USERDISK', status: 'transferred' },
        ...(done ? [{ type: 'raw_records', host: 'dali001', location: `/dali/${name}-raw_records-x` }] : []),
      ],
    });
  }
  await store.upsertRuns(docs);
  for (let n = 1; n <= N_DONE; n++) await store.updateStage(n, 'process', { set: { state: 'done', verified_at: ago(40) } });

  const b0 = performance.now();
  const folders = scanRunFolders([strax], live);
  const runs = await store.listRuns({ fields: ['number'], userFilter: false });
  for (const r of runs) await store.getRun(r.number, { fields: ['name', 'end', 'data', 'deleted_data'] });
  const baseMs = performance.now() - b0;

  // Second baseline: the bare deletions a real pass makes (runs-DB move + folder removal), on 500 other runs' datasets.
  const d0 = performance.now();
  for (let n = N_DONE + 1; n <= 2 * N_DONE; n++) {
    const ds = path.join(strax, `${String(n).padStart(6, '0')}-peaklets-abcdefghij`);
    await store.removeData(n, { type: 'peaklets', host: HOST, location: ds }, { by: 'bench', reason: 'baseline' });
    fs.rmSync(ds, { recursive: true, force: true });
  }
  const deleteMs = performance.now() - d0;

  const pass = async (dryRun) => {
    const t0 = performance.now();
    const s = await runClean({ config, logger: memoryLogger(), store, dryRun, handleSignals: false, currentLineage: new Map([['peaklets', 'abcdefghij']]) });
    return { ms: performance.now() - t0, s };
  };
  const dry = await pass(true);
  const real = await pass(false);
  console.log(`clean on sqlite: ${N_RUNS} runs, ${folders.size} with folders, ${N_DONE} with live data to delete`);
  console.log(`  list + read + scan (baseline)   ${baseMs.toFixed(0).padStart(7)} ms`);
  console.log(`  ${N_DONE} bare deletions (baseline)  ${deleteMs.toFixed(0).padStart(7)} ms`);
  for (const [label, r] of [['dry-run pass', dry], ['pass (--execute)', real]]) {
    const deletes = r.s.clean.actions.filter((a) => a.action === 'delete').length;
    console.log(`  ${label.padEnd(30)} ${r.ms.toFixed(0).padStart(7)} ms   ratio to baseline ${(r.ms / (r.s.dry_run ? baseMs : baseMs + deleteMs)).toFixed(2)}   (${deletes} deletions${r.s.dry_run ? ' planned' : ''}, ${r.s.clean.kept} kept)`);
  }
} finally {
  await store.close();
  fs.rmSync(work, { recursive: true, force: true });
}
