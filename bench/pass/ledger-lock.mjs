// Ledger save and stage-lock timings, each against a baseline measured in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ledger, acquireStageLock } from '../../dist/pass/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function time(fn, n) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn(i);
    samples.push(performance.now() - t);
  }
  return median(samples);
}

console.log('ledger save (atomic: temp + fsync + rename + dir fsync + .bak) vs baselines, median of 200');
console.log('entries  ledger_ms  plain_write_ms  write+fsync_ms  ratio_vs_fsync');
for (const size of [10, 1000, 10000]) {
  const source = Array.from({ length: size * 2 }, (_, i) => 10000 + i);
  const ledger = Ledger.empty(path.join(dir, `s${size}`), 'bench');
  for (let i = 0; i < size; i++) ledger.markDone(source[2 * i + 1], source, new Date());
  ledger.save();
  const text = fs.readFileSync(ledger.file, 'utf8');
  const saveMs = time(() => ledger.save(), 200);
  const plainMs = time(() => fs.writeFileSync(path.join(dir, 'plain.json'), text), 200);
  const fsyncMs = time(() => {
    const fd = fs.openSync(path.join(dir, 'fsync.json'), 'w');
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  }, 200);
  console.log(`${String(size).padStart(7)}  ${saveMs.toFixed(3).padStart(9)}  ${plainMs.toFixed(3).padStart(14)}  ${fsyncMs.toFixed(3).padStart(14)}  ${(saveMs / fsyncMs).toFixed(2).padStart(14)}`);
}

const locksDir = path.join(dir, 'locks');
const acquire = [];
const busy = [];
const mkdirBaseline = [];
for (let i = 0; i < 100; i++) {
  let t = performance.now();
  const lock = await acquireStageLock({ locksDir, stage: 'bench', staleMs: 60000, updateMs: 10000 });
  acquire.push(performance.now() - t);
  t = performance.now();
  try {
    await acquireStageLock({ locksDir, stage: 'bench', staleMs: 60000, updateMs: 10000 });
  } catch (error) {
    if (error.exitCode !== 75) throw error;
  }
  busy.push(performance.now() - t);
  await lock.release();
  t = performance.now();
  fs.mkdirSync(path.join(dir, 'raw.lock'));
  fs.rmdirSync(path.join(dir, 'raw.lock'));
  mkdirBaseline.push(performance.now() - t);
}
console.log(`\nstage lock, median of 100: acquire+holder file ${median(acquire).toFixed(3)} ms, contender refused (exit 75 path) ${median(busy).toFixed(3)} ms, baseline mkdir+rmdir ${median(mkdirBaseline).toFixed(3)} ms (ratio ${(median(acquire) / median(mkdirBaseline)).toFixed(1)}x)`);
fs.rmSync(dir, { recursive: true, force: true });
