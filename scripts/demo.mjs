#!/usr/bin/env node
// The whole cron pipeline on the embedded defaults, in one command: fake-daq → import → auto-process passes → rechunk → migrate → report-status --html.
// Usage: node scripts/demo.mjs [--work-dir DIR] [--runs N] [--size-mb MB] [--timeout-s S]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';

const root = path.resolve(import.meta.dirname, '..');
const daqflowBin = path.join(root, 'bin', 'daqflow.js');
/** Written into the work folder; its presence marks a folder this demo may reset. */
const CONFIG_NAME = 'demo-config.yaml';
const FIRST_RUN = 12100;
/** The corrupt run: one DAQ reader file cut in half, as when a reader dies mid-write. */
const CORRUPT_OFFSET = 2;
/** auto_process.max_failures of the demo config: the corrupt run is given up after this many failures. */
const MAX_FAILURES = 3;

const { values: opts } = parseArgs({
  options: {
    'work-dir': { type: 'string', default: 'daqflow-work' },
    runs: { type: 'string', default: '5' },
    'size-mb': { type: 'string', default: '4' },
    'timeout-s': { type: 'string', default: '100' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log('Usage: npm run demo  (or node scripts/demo.mjs [--work-dir DIR] [--runs N] [--size-mb MB] [--timeout-s S])\n' +
    'Writes N fake runs (one corrupt) under DIR (default ./daqflow-work), runs import, auto-process, rechunk and migrate on them\n' +
    'and writes DIR/status.html with report-status.');
  process.exit(0);
}

const workDir = path.resolve(opts['work-dir']);
const nRuns = Number(opts.runs);
const sizeMb = Number(opts['size-mb']);
const timeoutMs = Number(opts['timeout-s']) * 1000;
if (!Number.isInteger(nRuns) || nRuns < 3 || nRuns > 50) fail(`--runs ${opts.runs}: give a whole number from 3 to 50`);
if (!(sizeMb > 0 && sizeMb <= 200)) fail(`--size-mb ${opts['size-mb']}: give a size above 0 and at most 200`);
if (!(timeoutMs > 0)) fail(`--timeout-s ${opts['timeout-s']}: give a positive number of seconds`);

const runName = (n) => String(n).padStart(6, '0');
const runs = Array.from({ length: nRuns }, (_, i) => FIRST_RUN + i);
const corruptRun = FIRST_RUN + CORRUPT_OFFSET;
const configFile = path.join(workDir, CONFIG_NAME);
const t0 = Date.now();
const childEnv = { ...process.env };
delete childEnv.DAQFLOW_CONFIG;

function fail(message) {
  console.error(`demo: ${message}`);
  process.exit(3);
}

function step(title) {
  console.log(`\n== ${title}  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

/** Runs one daqflow command on the demo config; the output goes to the terminal unless json is asked for. */
async function daqflow(args, { json = false, okCodes = [0] } = {}) {
  const result = await execa(process.execPath, [daqflowBin, '--config', configFile, ...args, ...(json ? ['--json', '--quiet'] : [])], {
    cwd: workDir,
    env: childEnv,
    extendEnv: false,
    reject: false,
    stdout: json ? 'pipe' : 'inherit',
    stderr: json ? 'pipe' : 'inherit',
  });
  if (!okCodes.includes(result.exitCode)) {
    if (json) process.stderr.write(result.stderr);
    fail(`daqflow ${args.join(' ')} exited ${result.exitCode}`);
  }
  return json ? JSON.parse(result.stdout) : result.exitCode;
}

/** A fresh work folder: a folder from an earlier demo is reset, any other non-empty folder is left alone. */
function prepareWorkDir() {
  if (fs.existsSync(workDir) && fs.readdirSync(workDir).length > 0) {
    if (!fs.existsSync(configFile)) fail(`${workDir} is not empty and was not made by the demo; move it away or give --work-dir`);
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  fs.mkdirSync(path.join(workDir, 'archive'), { recursive: true });
  // Paths are relative to this file, so the folder can be moved. Retries are seconds apart instead of minutes.
  fs.writeFileSync(configFile, [
    '# Written by the daqflow demo (scripts/demo.mjs): the embedded defaults plus what a pipeline needs.',
    'work_dir: .',
    'import:',
    '  source_dirs: [live_data]',
    '  settle_minutes: 0',
    'retry:',
    '  base_delay_s: 1',
    '  factor: 1',
    '  jitter_min: 1',
    '  jitter_max: 1',
    'auto_process:',
    `  max_failures: ${MAX_FAILURES}`,
    'scheduler:',
    '  poll_interval_s: 1',
    'rechunk:',
    '  dest_dir: strax_production',
    '  target_mb: 50',
    'storage:',
    '  dirs: [strax_data, strax_production]',
    '  write_dir: strax_data',
    'archive:',
    '  kind: filesystem',
    '  path: archive',
    '',
  ].join('\n'));
}

/** Cuts one reader file of the run's first DAQ chunk in half: its LZ4 frame loses its end. */
function corrupt(run) {
  const chunkDir = path.join(workDir, 'live_data', runName(run), '000000');
  const file = path.join(chunkDir, fs.readdirSync(chunkDir).sort()[0]);
  const size = fs.statSync(file).size;
  fs.truncateSync(file, Math.floor(size / 2));
  console.log(`corrupted run ${runName(run)}: ${path.relative(workDir, file)} cut from ${size} to ${Math.floor(size / 2)} bytes`);
}

const IN_FLIGHT = new Set(['claimed', 'submitted', 'running']);

/** Settled: every run done, or failed max_failures times (auto-process gave up on it). */
function settled(list, maxFailures) {
  return list.runs.every((r) => r.state === 'done' || r.state === 'abandoned' || (r.state === 'failed' && r.n_failures >= maxFailures));
}

async function autoProcessUntilSettled() {
  const deadline = Date.now() + timeoutMs;
  for (let pass = 1; ; pass++) {
    const summary = await daqflow(['auto-process'], { json: true, okCodes: [0, 1] });
    const list = await daqflow(['runs', 'list'], { json: true });
    const counts = {};
    for (const r of list.runs) counts[r.state] = (counts[r.state] ?? 0) + 1;
    const byState = Object.entries(counts).map(([state, n]) => `${n} ${state}`).join(', ');
    console.log(`auto-process pass ${pass}: ${summary.done.length} done, ${summary.failed.length} failed, ${summary.auto_process.submitted.length} submitted this pass; runs: ${byState}`);
    // A failure a job recorded itself is settled in the runs DB, but seen (counted, reported) by the next pass only:
    // the pass's own record of the run (stage auto_process) stays `submitted` until then.
    const seen = (await daqflow(['runs', 'list', '--stage', 'auto_process'], { json: true })).runs.every((r) => r.state !== 'submitted');
    if (settled(list, MAX_FAILURES) && seen) return list;
    if (Date.now() > deadline) fail(`runs still in flight after ${timeoutMs / 1000} s: ${list.runs.filter((r) => IN_FLIGHT.has(r.state)).map((r) => runName(r.run)).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a cron tick, shortened
  }
}

async function stageStates(stage) {
  const list = await daqflow(['runs', 'list', '--stage', stage], { json: true });
  return new Map(list.runs.map((r) => [r.run, r]));
}

async function printWhereRunsStand() {
  const stages = ['import', 'process', 'rechunk', 'migrate'];
  const states = Object.fromEntries(await Promise.all(stages.map(async (s) => [s, await stageStates(s)])));
  console.log(['run', ...stages].map((s) => s.padEnd(10)).join('') + 'reason');
  for (const run of runs) {
    const cells = stages.map((s) => (states[s].get(run)?.state ?? '-').padEnd(10));
    const reason = stages.map((s) => states[s].get(run)?.reason).find(Boolean) ?? '';
    console.log(runName(run).padEnd(10) + cells.join('') + reason);
  }
  return states;
}

async function main() {
  prepareWorkDir();
  step(`fake-daq: ${nRuns} runs of ${sizeMb} MB in the DAQ live layout`);
  await daqflow(['fake-daq', '--runs', `${runName(runs[0])}-${runName(runs.at(-1))}`, '--size-mb', String(sizeMb)]);
  corrupt(corruptRun);

  step('import: register the finished runs in the runs DB (SQLite)');
  await daqflow(['import', '--incremental']);

  step('auto-process: cron-like passes (local scheduler) until every run is done or given up');
  await autoProcessUntilSettled();

  step('rechunk: merge and recompress the processed data into strax_production');
  await daqflow(['rechunk', '--incremental'], { okCodes: [0, 1] });

  step('migrate: archive every run record, verified by MD5 round trip');
  await daqflow(['migrate', '--incremental'], { okCodes: [0, 1] });

  step('report-status: where every run stands across sources and stages, also as an HTML page');
  const htmlReport = path.join(workDir, 'status.html');
  await daqflow(['report-status', '--html', htmlReport], { okCodes: [0, 1] });

  step('where every run stands, per stage');
  const states = await printWhereRunsStand();
  const bad = states.process.get(corruptRun);
  const good = runs.filter((r) => r !== corruptRun);
  const ok = bad?.state === 'failed' && good.every((r) => states.process.get(r)?.state === 'done' && states.migrate.get(r)?.state === 'done');
  console.log(`\nHTML report: ${htmlReport}\nwork folder: ${workDir}\nconfig: ${configFile}\ndemo ${ok ? 'finished' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  process.exitCode = ok ? 0 : 1;
}

await main();
