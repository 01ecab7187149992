// Benchmark: submitting N runs as one Slurm array vs N single jobs, and polling N jobs with one squeue vs one call per job.
// Needs the test cluster (scripts/slurm-up.sh) and a build (npm run build). Run: node bench/batch/submit-poll.mjs [N]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { SlurmScheduler, expandRefs } from '../../dist/batch/index.js';

const N = Number(process.argv[2] ?? process.env.BENCH_N ?? 1000);
const CONCURRENCY = 8;
const root = path.resolve(import.meta.dirname, '../..');
try {
  execFileSync('sinfo', ['-h'], { stdio: 'ignore' });
} catch {
  execFileSync('bash', [path.join(root, 'scripts/slurm-up.sh')], { stdio: 'inherit' });
}
const jobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-'));
// --hold keeps the jobs pending: the benchmark measures the scheduler calls, not 2 000 `true` processes.
const spec = (name, extra = {}) => ({ name, command: ['true'], cpus: 1, memGb: 0.1, walltimeMin: 5, extraDirectives: ['--hold'], skipDirectives: [], jobDir, ...extra });
const runs = Array.from({ length: N }, (_, i) => String(100000 + i).padStart(6, '0'));

async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const singles = new SlurmScheduler({ commandTimeoutS: 60 });
const limit = pLimit(CONCURRENCY);
const submitSingles = await timed(() => Promise.all(runs.map((run) => limit(() => singles.submit(spec(`bench_${run}`, { command: ['true', run] }))))));
const singleCalls = singles.commandCount;

const arrays = new SlurmScheduler({ commandTimeoutS: 60 });
const submitArray = await timed(() => arrays.submit(spec('bench_array', { arrayCommands: runs.map((run) => ['true', run]) })));
const arrayCalls = arrays.commandCount;

const singleRefs = submitSingles.value;
const poller = new SlurmScheduler({ commandTimeoutS: 60 });
const pollOne = await timed(() => poller.status(singleRefs));
const oneCalls = poller.commandCount;
const perJob = new SlurmScheduler({ commandTimeoutS: 60 });
const pollEach = await timed(async () => {
  for (const ref of singleRefs) await perJob.status([ref]);
});
const eachCalls = perJob.commandCount;
const taskPoll = await timed(() => poller.status([submitArray.value]));

const pending = [...pollOne.value.values()].filter((s) => s.state === 'pending').length;
const tasksPending = [...taskPoll.value.values()].filter((s) => s.state === 'pending').length;

await singles.cancel(singleRefs);
await arrays.cancel([submitArray.value]);
fs.rmSync(jobDir, { recursive: true, force: true });

const row = (what, ms, calls) => `| ${what.padEnd(44)} | ${ms.toFixed(0).padStart(8)} | ${String(calls).padStart(6)} |`;
console.log(`\nSlurm ${execFileSync('sbatch', ['--version']).toString().trim()}, ${os.cpus().length} cores, N = ${N}\n`);
console.log('| measurement                                  |  wall ms |  calls |');
console.log('|----------------------------------------------|---------:|-------:|');
console.log(row(`submit ${N} single jobs (${CONCURRENCY} at a time)`, submitSingles.ms, singleCalls));
console.log(row(`submit one array of ${N} tasks`, submitArray.ms, arrayCalls));
console.log(row(`status of ${N} jobs, one squeue call`, pollOne.ms, oneCalls));
console.log(row(`status of ${N} jobs, one call per job`, pollEach.ms, eachCalls));
console.log(row(`status of ${N} array tasks, one squeue call`, taskPoll.ms, poller.commandCount - oneCalls));
console.log(`\nsubmit: array is ${(submitSingles.ms / submitArray.ms).toFixed(0)}× faster with ${singleCalls / arrayCalls}× fewer sbatch calls`);
console.log(`poll:   one call is ${(pollEach.ms / pollOne.ms).toFixed(0)}× faster than ${eachCalls} per-job calls`);
console.log(`check:  ${pending}/${N} single jobs and ${tasksPending}/${expandRefs([submitArray.value]).length} array tasks reported pending (held)`);
