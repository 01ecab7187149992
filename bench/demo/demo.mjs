// The demo's wall time (goal: under 2 minutes on 2 cores) against its bare work measured in the same run:
// fake-daq of the same runs and one straxer per good run, one after another, with no import/auto-process/rechunk/migrate/report.
// Usage: node bench/demo/demo.mjs   (after npm run build)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

const root = path.resolve(import.meta.dirname, '..', '..');
const env = { ...process.env, DAQFLOW_CONFIG: '' };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-demo-'));
const GOOD_RUNS = ['012100', '012101', '012103', '012104'];

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

try {
  const demoS = await timed(() => execa(process.execPath, [path.join(root, 'scripts', 'demo.mjs'), '--work-dir', path.join(tmp, 'demo')], { env }));

  const base = path.join(tmp, 'base');
  fs.mkdirSync(base);
  const cli = (bin, args) => execa(process.execPath, [path.join(root, 'bin', `${bin}.js`), ...args], { cwd: base, env });
  const baselineS = await timed(async () => {
    await cli('daqflow', ['fake-daq', '--runs', '012100-012104', '--size-mb', '4']);
    for (const run of GOOD_RUNS) await cli('straxer', [run, '--target', 'event_info']);
  });

  console.log(`demo (5 runs of 4 MB, one corrupt; ${os.cpus().length} CPUs): ${demoS.toFixed(1)} s; goal < 120 s`);
  console.log(`baseline (fake-daq + straxer of the 4 good runs, one after another): ${baselineS.toFixed(1)} s`);
  console.log(`ratio demo / baseline: ${(demoS / baselineS).toFixed(2)}`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
