// Parsers of Slurm and PBS output, tested on recorded real outputs (fixtures/) and realistic PBS/Torque ones.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  expandArrayIds, mapPbsState, mapSlurmState, parseExitCode, parseQsubOutput, parseQstatF, parseSacct, parseSbatchOutput,
  parseScontrolShowJob, parseSqueue, slurmServiceDown, pbsServiceDown, attribute,
} from '../../src/batch/index.js';
import { SchedulerOutputError } from '../../src/errors.js';

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('sbatch output', () => {
  it('parses a --parsable job id', () => {
    expect(parseSbatchOutput(fixture('sbatch-parsable.txt'))).toEqual({ jobId: '15' });
  });
  it('parses the <id>;<cluster> form', () => {
    expect(parseSbatchOutput(fixture('sbatch-parsable-cluster.txt'))).toEqual({ jobId: '4242', cluster: 'daqflow' });
  });
  it('parses the plain "Submitted batch job" form', () => {
    expect(parseSbatchOutput(fixture('sbatch-plain.txt'))).toEqual({ jobId: '16' });
  });
  it('quotes the raw output when there is no job id', () => {
    const text = fixture('sbatch-controller-down.txt');
    expect(() => parseSbatchOutput(text)).toThrow(SchedulerOutputError);
    expect(() => parseSbatchOutput(text)).toThrow(/Unable to contact slurm controller/);
  });
});

describe('expandArrayIds', () => {
  it('expands ranges, lists and drops the throttle', () => {
    expect(expandArrayIds('12_[1-3,5%4]')).toEqual(['12_1', '12_2', '12_3', '12_5']);
  });
  it('keeps plain ids and single tasks', () => {
    expect(expandArrayIds('12')).toEqual(['12']);
    expect(expandArrayIds('12_7')).toEqual(['12_7']);
  });
  it('supports steps', () => {
    expect(expandArrayIds('9_[0-6:3]')).toEqual(['9_0', '9_3', '9_6']);
  });
  it('rejects garbage with the raw text', () => {
    expect(() => expandArrayIds('12_[3-1]')).toThrow(/12_\[3-1\]/);
    expect(() => expandArrayIds('abc')).toThrow(SchedulerOutputError);
  });
});

describe('squeue output', () => {
  it('parses finished, failed, cancelled and dependency-cancelled jobs', () => {
    const rows = parseSqueue(fixture('squeue-mixed-r.txt'));
    expect(rows).toContainEqual({ id: '3', state: 'COMPLETED', reason: 'None' });
    expect(rows).toContainEqual({ id: '4', state: 'FAILED', reason: 'NonZeroExitCode' });
    expect(rows).toContainEqual({ id: '7', state: 'CANCELLED', reason: 'DependencyNeverSatisfied' });
    expect(rows.filter((r) => r.id.startsWith('6_')).map((r) => r.id).sort()).toEqual(['6_0', '6_1', '6_2', '6_3']);
  });
  it('expands a pending array range printed without -r', () => {
    const rows = parseSqueue(fixture('squeue-array-throttled.txt'));
    expect(rows.map((r) => r.id).sort()).toEqual(['17_0', '17_1', '17_2', '17_3', '17_4', '17_5']);
    expect(rows.find((r) => r.id === '17_4')).toEqual({ id: '17_4', state: 'PENDING', reason: 'JobArrayTaskLimit' });
  });
  it('gives the same tasks with and without -r', () => {
    const a = parseSqueue(fixture('squeue-array-throttled.txt')).map((r) => `${r.id} ${r.state}`).sort();
    const b = parseSqueue(fixture('squeue-array-throttled-r.txt')).map((r) => `${r.id} ${r.state}`).sort();
    expect(a).toEqual(b);
  });
  it('recognises the single-unknown-id error and the controller-down error', () => {
    expect(fixture('squeue-unknown-single.txt')).toMatch(/Invalid job id specified/);
    expect(slurmServiceDown(fixture('squeue-controller-down.txt'))).toMatch(/slurmctld/);
    expect(slurmServiceDown(fixture('sbatch-munge-down.txt'))).toMatch(/munged/);
    expect(slurmServiceDown('sbatch: error: Invalid partition name specified')).toBeUndefined();
  });
});

describe('scontrol show job output', () => {
  it('reads state, reason and exit code of a failed job', () => {
    const [job] = parseScontrolShowJob(fixture('scontrol-failed.txt'));
    expect(job).toMatchObject({ JobId: '4', JobState: 'FAILED', Reason: 'NonZeroExitCode', ExitCode: '3:0', Command: '/tmp/cap/fail.sh' });
    expect(parseExitCode(job!.ExitCode)).toEqual({ exitCode: 3, signal: 0 });
  });
  it('reads a completed job', () => {
    const [job] = parseScontrolShowJob(fixture('scontrol-completed.txt'));
    expect(job).toMatchObject({ JobId: '3', JobState: 'COMPLETED', ExitCode: '0:0', UserId: 'root(0)' });
  });
  it('returns nothing for an unknown id', () => {
    expect(parseScontrolShowJob(fixture('scontrol-unknown.txt'))).toEqual([]);
  });
});

describe('sacct output', () => {
  it('parses sacct -c (jobcomp) rows', () => {
    expect(parseSacct(fixture('sacct-c.txt'))).toEqual([
      { jobId: '3', jobIdRaw: '3', state: 'COMPLETED', exitCode: '0:0' },
      { jobId: '4', jobIdRaw: '4', state: 'FAILED', exitCode: '3:0' },
      { jobId: '5', jobIdRaw: '5', state: 'CANCELLED', exitCode: '0:0' },
      { jobId: '6', jobIdRaw: '6', state: 'CANCELLED', exitCode: '0:0' },
    ]);
  });
  it('drops step rows and error lines', () => {
    const text = 'sacct: error: Unknown type ArrayJobId: 6\n12|12|TIMEOUT|0:15\n12.batch|12.batch|CANCELLED|0:15\n';
    expect(parseSacct(text)).toEqual([{ jobId: '12', jobIdRaw: '12', state: 'TIMEOUT', exitCode: '0:15' }]);
  });
  it('keeps the accounting-disabled message recognisable', () => {
    expect(fixture('sacct-disabled.txt')).toMatch(/accounting storage is disabled/);
  });
});

describe('Slurm states', () => {
  it.each([
    ['PENDING', 'pending'], ['RUNNING', 'running'], ['COMPLETING', 'completing'], ['COMPLETED', 'completed'],
    ['FAILED', 'failed'], ['CANCELLED by 0', 'cancelled'], ['CANCELLED+', 'cancelled'], ['TIMEOUT', 'timeout'],
    ['OUT_OF_MEMORY', 'out_of_memory'], ['OUT_OF_ME+', 'out_of_memory'], ['NODE_FAIL', 'node_fail'], ['BOOT_FAIL', 'node_fail'],
    ['PREEMPTED', 'cancelled'], ['DEADLINE', 'timeout'], ['WEIRD', 'unknown'],
  ] as const)('maps %s to %s', (raw, state) => {
    expect(mapSlurmState(raw)).toBe(state);
  });
});

describe('qsub output', () => {
  it('accepts the bare id of Slurm\'s wrapper', () => {
    expect(parseQsubOutput(fixture('qsub-slurm-wrapper.txt'))).toEqual({ jobId: '20', number: '20', server: undefined, isArray: false });
  });
  it('accepts id.server of OpenPBS and Torque', () => {
    expect(parseQsubOutput(fixture('qsub-openpbs.txt'))).toMatchObject({ jobId: '1017.pbs01', number: '1017', server: 'pbs01' });
    expect(parseQsubOutput(fixture('qsub-torque.txt'))).toMatchObject({ jobId: '4711.torque01.cluster.local', server: 'torque01.cluster.local' });
  });
  it('recognises array ids', () => {
    expect(parseQsubOutput(fixture('qsub-openpbs-array.txt'))).toMatchObject({ jobId: '1030[].pbs01', isArray: true });
  });
  it('rejects output without an id', () => {
    expect(() => parseQsubOutput('qsub: Unknown queue')).toThrow(SchedulerOutputError);
  });
});

describe('qstat -f output', () => {
  it('parses the Slurm wrapper dialect (tab after "Job Id:", no exit_status)', () => {
    const records = parseQstatF(fixture('qstat-f-slurm-wrapper.txt'));
    expect(records.map((r) => r.jobId)).toEqual(['10', '14']);
    expect(attribute(records[1]!, 'job_state')).toBe('C');
    expect(attribute(records[1]!, 'exit_status')).toBeUndefined();
    expect(mapPbsState(records[0]!, 'slurm')).toMatchObject({ state: 'unknown', needsArtifact: true });
  });
  it('maps the wrapper\'s R and Q', () => {
    const states = parseQstatF(fixture('qstat-f-slurm-wrapper-active.txt')).map((r) => mapPbsState(r, 'slurm').state);
    expect(states).toEqual(['running', 'pending']);
  });
  it('parses OpenPBS qstat -fx with wrapped values and maps every state', () => {
    const records = parseQstatF(fixture('qstat-fx-openpbs.txt'));
    expect(attribute(records[0]!, 'Output_Path')).toBe('login01.cluster:/data/xams/daqflow-work/jobs/2026-11/daqflow_012100-20261120T091200Z-1a2b.sched.log');
    const mapped = records.map((r) => [r.jobId, mapPbsState(r, 'openpbs').state, mapPbsState(r, 'openpbs').exitCode]);
    expect(mapped).toEqual([
      ['1017.pbs01', 'completed', 0], ['1018.pbs01', 'failed', 3], ['1019.pbs01', 'timeout', -29], ['1020.pbs01', 'cancelled', 271],
      ['1021.pbs01', 'running', undefined], ['1022.pbs01', 'pending', undefined], ['1023.pbs01', 'pending', undefined],
      ['1024.pbs01', 'completing', undefined],
    ]);
  });
  it('parses OpenPBS array subjobs', () => {
    const mapped = parseQstatF(fixture('qstat-fx-openpbs-array.txt')).map((r) => [r.jobId, mapPbsState(r, 'openpbs').state]);
    expect(mapped).toEqual([['1030[].pbs01', 'running'], ['1030[0].pbs01', 'completed'], ['1030[1].pbs01', 'failed'], ['1030[2].pbs01', 'pending']]);
  });
  it('parses Torque qstat -f and its walltime code', () => {
    const mapped = parseQstatF(fixture('qstat-f-torque.txt')).map((r) => [r.jobId.split('.')[0], mapPbsState(r, 'torque').state]);
    expect(mapped).toEqual([
      ['4711', 'completed'], ['4712', 'failed'], ['4713', 'timeout'], ['4714', 'cancelled'], ['4715', 'running'], ['4716', 'pending'],
      ['4717', 'pending'], ['4718', 'completing'], ['4719[1]', 'failed'],
    ]);
  });
  it('rejects text that is not qstat -f output', () => {
    expect(() => parseQstatF('Job Id: 1\nnot an attribute\n')).toThrow(SchedulerOutputError);
  });
  it('recognises PBS server-down messages', () => {
    expect(pbsServiceDown('qstat: cannot connect to server pbs01 (errno=111) Connection refused')).toMatch(/PBS server/);
    expect(pbsServiceDown('qstat: Unknown Job Id 17.pbs01')).toBeUndefined();
  });
});
