// Checks a JobSpec before any file is written: names, argv, resources and directives that could break a script.
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { JobSpec } from './types.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}$/;
/** Partition, queue, account, qos: plain words, never shell syntax. */
const WORD = /^[A-Za-z0-9][A-Za-z0-9_.+@:-]*$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const JOB_ID = /^[A-Za-z0-9_.[\]-]+$/;

function reject(problems: string[], option: string, message: string): void {
  problems.push(`${option}: ${message}`);
}

function checkText(problems: string[], option: string, value: string): void {
  if (/[\0\n\r]/.test(value)) reject(problems, option, `${JSON.stringify(value)} contains a NUL byte or a line break`);
}

function checkArgv(problems: string[], option: string, argv: unknown): void {
  if (!Array.isArray(argv) || argv.length === 0) return reject(problems, option, 'must be a non-empty list of strings');
  argv.forEach((arg, i) => {
    if (typeof arg !== 'string') reject(problems, `${option}[${i}]`, `must be a string, got ${typeof arg}`);
    else checkText(problems, `${option}[${i}]`, arg);
  });
}

function checkPositive(problems: string[], option: string, value: number, integer: boolean): void {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    reject(problems, option, `must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}`);
  }
}

/** Every problem of the spec at once; throws ConfigError (exit 3) when there is any. */
export function validateJobSpec(spec: JobSpec): void {
  const problems: string[] = [];
  if (typeof spec.name !== 'string' || !NAME.test(spec.name)) {
    reject(problems, 'job.name', `${JSON.stringify(spec.name)} must be 1–100 of A-Z a-z 0-9 _ . + - (it becomes a file name)`);
  }
  if (spec.arrayCommands !== undefined) {
    if (!Array.isArray(spec.arrayCommands) || spec.arrayCommands.length === 0) reject(problems, 'job.arrayCommands', 'must list at least one task');
    else spec.arrayCommands.forEach((argv, i) => checkArgv(problems, `job.arrayCommands[${i}]`, argv));
    if (spec.arrayMaxParallel !== undefined) checkPositive(problems, 'job.arrayMaxParallel', spec.arrayMaxParallel, true);
  } else {
    checkArgv(problems, 'job.command', spec.command);
  }
  checkPositive(problems, 'scheduler.cpus', spec.cpus, true);
  checkPositive(problems, 'scheduler.mem_gb', spec.memGb, false);
  checkPositive(problems, 'scheduler.walltime_min', spec.walltimeMin, true);
  for (const key of ['partition', 'queue', 'account', 'qos'] as const) {
    const value = spec[key];
    if (value !== undefined && value !== null && (typeof value !== 'string' || !WORD.test(value))) {
      reject(problems, `scheduler.${key}`, `${JSON.stringify(value)} must be a plain word (letters, digits, _ . + @ : -), no spaces or shell characters`);
    }
  }
  if (spec.dependency) {
    if (!['afterok', 'afterany', 'afternotok'].includes(spec.dependency.kind)) reject(problems, 'job.dependency.kind', `unknown kind ${JSON.stringify(spec.dependency.kind)}`);
    for (const id of spec.dependency.jobIds) if (!JOB_ID.test(id)) reject(problems, 'job.dependency', `${JSON.stringify(id)} is not a job id`);
  }
  spec.extraDirectives.forEach((line, i) => checkText(problems, `scheduler.extra_directives[${i}]`, line));
  spec.skipDirectives.forEach((line, i) => checkText(problems, `scheduler.skip_directives[${i}]`, line));
  for (const [key, value] of Object.entries(spec.env ?? {})) {
    if (!ENV_KEY.test(key)) reject(problems, `job.env.${key}`, 'is not a valid environment variable name');
    checkText(problems, `job.env.${key}`, value);
  }
  if (typeof spec.jobDir !== 'string' || !path.isAbsolute(spec.jobDir)) reject(problems, 'scheduler.job_dir', `${JSON.stringify(spec.jobDir)} must be an absolute path`);
  else checkText(problems, 'scheduler.job_dir', spec.jobDir);
  if (problems.length > 0) {
    throw new ConfigError(`job ${JSON.stringify(spec.name)}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, {
      problems,
      context: { option: problems[0]!.split(':')[0] },
    });
  }
}

/** PBS (and Slurm's qsub wrapper, which builds a shell string) cannot take paths with shell characters. */
export function validatePlainPath(value: string, option: string): void {
  if (!/^[A-Za-z0-9_./+@:=,-]+$/.test(value)) {
    throw new ConfigError(`${option}: ${JSON.stringify(value)} must not contain spaces or shell characters for this scheduler`, { context: { option } });
  }
}
