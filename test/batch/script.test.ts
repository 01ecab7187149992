// Rendered job scripts against golden files (UPDATE_GOLDEN=1 rewrites them), and spec validation before any write.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { LocalScheduler, PbsScheduler, SlurmScheduler, renderTaskMap, type BaseScheduler, type JobSpec } from '../../src/batch/index.js';

const GOLDEN = path.join(import.meta.dirname, 'golden');
const fixed = { now: () => new Date('2026-11-21T06:00:00Z'), suffix: () => 'beef' };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-script-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const base: JobSpec = {
  name: 'daqflow_012100',
  command: ['daqflow', 'straxer', '012100', '--target', 'event_info', '--config', '/abs/config.yaml'],
  cpus: 4,
  memGb: 8,
  walltimeMin: 120,
  partition: 'xenon1t',
  account: 'pi-lgrandi',
  qos: 'xenon1t',
  extraDirectives: [],
  skipDirectives: [],
  jobDir: '/data/daqflow-work/jobs',
};
const array: JobSpec = {
  ...base,
  name: 'daqflow_array',
  arrayCommands: [
    ['daqflow', 'straxer', '012100', '--target', 'event_info'],
    ['daqflow', 'straxer', '012101', '--target', 'event_info'],
    ['daqflow', 'straxer', '012102', '--target', 'event_info'],
  ],
  arrayMaxParallel: 2,
  dependency: { kind: 'afterok', jobIds: ['4242'] },
  extraDirectives: ['--gres=gpu:1'],
  skipDirectives: ['--qos'],
  env: { STRAX_DEBUG: "it's on", OMP_NUM_THREADS: '4' },
};

/** Diff line by line so a failure names the first differing line. */
function expectGolden(name: string, text: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1' || !fs.existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== '1') throw new Error(`golden file ${name} is missing; run with UPDATE_GOLDEN=1 to create it`);
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(file, text);
  }
  const want = fs.readFileSync(file, 'utf8').split('\n');
  const got = text.split('\n');
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    expect(got[i], `${name} line ${i + 1}`).toBe(want[i]);
  }
}

const cases: Array<[string, BaseScheduler, JobSpec]> = [
  ['slurm-single.sh', new SlurmScheduler(fixed), base],
  ['slurm-array.sh', new SlurmScheduler(fixed), array],
  ['pbs-openpbs-array.sh', new PbsScheduler({ ...fixed, flavor: 'openpbs' }), { ...array, dependency: { kind: 'afterok', jobIds: ['1017.pbs01'] }, extraDirectives: ['-l place=scatter'], skipDirectives: ['-A'] }],
  ['pbs-torque-single.sh', new PbsScheduler({ ...fixed, flavor: 'torque' }), { ...base, queue: 'batch' }],
  ['pbs-slurm-wrapper-single.sh', new PbsScheduler({ ...fixed, flavor: 'slurm' }), base],
  ['local-single.sh', new LocalScheduler(fixed), base],
  ['local-array.sh', new LocalScheduler(fixed), { ...array, dependency: undefined }],
];

describe('job scripts', () => {
  it.each(cases)('%s matches its golden file', (name, scheduler, spec) => {
    expectGolden(name, scheduler.render(spec).script);
  });

  it('renders the array task map one argument per line', () => {
    expectGolden('array.tasks', renderTaskMap(array.arrayCommands!));
  });

  it('puts scripts and logs under <job_dir>/<yyyy-mm>/ with a unique stem', () => {
    const { files } = new SlurmScheduler(fixed).render(base);
    expect(files.script).toBe('/data/daqflow-work/jobs/2026-11/daqflow_012100-20261121T060000Z-beef.sh');
    expect(files.schedulerLog).toBe('/data/daqflow-work/jobs/2026-11/daqflow_012100-20261121T060000Z-beef.sched.log');
  });

  it('quotes argv elements with spaces, quotes and $(...)', () => {
    const { script } = new SlurmScheduler(fixed).render({ ...base, command: ['echo', "a b", "it's", '$(rm -rf /)', ''] });
    expect(script).toContain(`argv=(echo 'a b' 'it'\\''s' '$(rm -rf /)' '')`);
  });

  it('uses no eval', () => {
    for (const [, scheduler, spec] of cases) expect(scheduler.render(spec).script).not.toMatch(/\beval\b/);
  });

  it('drops skipped directives and appends extra ones', () => {
    const { script } = new SlurmScheduler(fixed).render(array);
    expect(script).not.toContain('--qos');
    expect(script).toContain('#SBATCH --gres=gpu:1');
    expect(script).toContain('#SBATCH --array=0-2%2');
    expect(script).toContain('#SBATCH --dependency=afterok:4242');
  });

  it('rounds memory up to MB and keeps time in whole minutes', () => {
    const { script } = new SlurmScheduler(fixed).render({ ...base, memGb: 0.5, walltimeMin: 1 });
    expect(script).toContain('#SBATCH --mem=512M');
    expect(script).toContain('#SBATCH --time=1');
  });
});

describe('job spec validation', () => {
  const scheduler = new SlurmScheduler({ ...fixed });
  const jobDir = path.join(tmp, 'jobs');
  const reject = async (spec: Partial<JobSpec>, pattern: RegExp) => {
    await expect(scheduler.submit({ ...base, jobDir, ...spec })).rejects.toThrow(ConfigError);
    await expect(scheduler.submit({ ...base, jobDir, ...spec })).rejects.toThrow(pattern);
    expect(fs.existsSync(jobDir), 'no file may be written').toBe(false);
  };

  it('rejects a name with a newline', () => reject({ name: 'run\n1' }, /job\.name/));
  it('rejects a name with a NUL byte', () => reject({ name: 'run\u00001' }, /job\.name/));
  it('rejects an argv element with a newline', () => reject({ command: ['daqflow', 'straxer', '012100\nrm -rf /'] }, /job\.command\[2\]/));
  it('rejects an argv element with a NUL byte', () => reject({ command: ['daqflow', 'a\u0000b'] }, /job\.command\[1\]/));
  it('rejects an array task argv with a newline', () => reject({ arrayCommands: [['ok'], ['bad\n']] }, /job\.arrayCommands\[1\]\[0\]/));
  it('rejects a partition with shell metacharacters', () => reject({ partition: 'debug;rm -rf /' }, /scheduler\.partition/));
  it('rejects an account with $(...)', () => reject({ account: '$(id)' }, /scheduler\.account/));
  it('rejects an extra directive with a newline', () => reject({ extraDirectives: ['--gres=gpu:1\necho pwned'] }, /extra_directives\[0\]/));
  it('rejects a relative job dir', () => reject({ jobDir: 'jobs' }, /job_dir/));
  it('rejects a bad environment variable name', () => reject({ env: { 'A-B': 'x' } }, /job\.env/));
  it('rejects a zero wall time', () => reject({ walltimeMin: 0 }, /walltime_min/));

  it('lists every problem at once', async () => {
    const error = await scheduler.submit({ ...base, jobDir, name: 'a\nb', partition: 'x y', cpus: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toHaveLength(3);
    expect((error as ConfigError).exitCode).toBe(3);
  });

  it('rejects dependencies on the local scheduler', async () => {
    await expect(new LocalScheduler().submit({ ...base, jobDir, dependency: { kind: 'afterok', jobIds: ['1'] } })).rejects.toThrow(/local scheduler does not support dependencies/);
  });

  it('rejects job dirs with spaces on PBS (Slurm\'s qsub wrapper does not quote paths)', async () => {
    await expect(new PbsScheduler({ flavor: 'slurm' }).submit({ ...base, jobDir: path.join(tmp, 'a b') })).rejects.toThrow(/job_dir/);
  });
});
