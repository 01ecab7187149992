// Pure parsers for PBS/Torque output (qsub ids, `qstat -f` in the OpenPBS/Torque and Slurm-wrapper dialects).
import { SchedulerOutputError } from '../errors.js';
import type { JobState } from './types.js';

export type PbsFlavor = 'openpbs' | 'torque' | 'slurm';

export interface QsubResult {
  /** The id exactly as printed (`17`, `17.server`, `17[].server`): qstat and qdel take it back. */
  jobId: string;
  /** The numeric part. */
  number: string;
  server?: string;
  isArray: boolean;
}

/** `qsub` prints `17` (Slurm's wrapper), `17.server` (Torque/OpenPBS) or `17[].server` (array). */
export function parseQsubOutput(text: string): QsubResult {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  for (const line of lines.reverse()) {
    const m = /^(\d+)(\[\d*\])?(?:\.([A-Za-z0-9][A-Za-z0-9.-]*))?$/.exec(line);
    if (m) return { jobId: line, number: m[1]!, server: m[3], isArray: m[2] !== undefined };
  }
  throw new SchedulerOutputError('qsub', "a job id ('17', '17.server' or '17[].server')", text);
}

export interface QstatRecord {
  jobId: string;
  attributes: Record<string, string>;
}

/** `qstat -f`: `Job Id: ID` then indented `key = value` lines; wrapped values continue on indented lines. */
export function parseQstatF(text: string): QstatRecord[] {
  const records: QstatRecord[] = [];
  let current: QstatRecord | undefined;
  let lastKey: string | undefined;
  for (const line of text.split('\n')) {
    const head = /^Job Id:\s*(\S+)\s*$/.exec(line);
    if (head) {
      current = { jobId: head[1]!, attributes: {} };
      records.push(current);
      lastKey = undefined;
      continue;
    }
    if (!current || !line.trim()) {
      lastKey = undefined;
      continue;
    }
    const attr = /^\s+([A-Za-z_][\w.]*) = ?(.*)$/.exec(line);
    if (attr) {
      lastKey = attr[1]!;
      current.attributes[lastKey] = attr[2]!.trim();
    } else if (lastKey && /^\s/.test(line)) {
      current.attributes[lastKey] += line.trim();
    } else {
      throw new SchedulerOutputError('qstat -f', "'Job Id: ID' followed by indented 'key = value' lines", text);
    }
  }
  return records;
}

/** Case-insensitive attribute lookup (`exit_status` on Torque, `Exit_status` on OpenPBS). */
export function attribute(record: QstatRecord, key: string): string | undefined {
  const lower = key.toLowerCase();
  const found = Object.keys(record.attributes).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : record.attributes[found];
}

/** Exit statuses that mean "killed for exceeding a limit", per flavor. */
const LIMIT_KILLS: Record<PbsFlavor, Record<number, JobState>> = {
  openpbs: { [-29]: 'timeout', [-28]: 'timeout', [-27]: 'out_of_memory', [-26]: 'out_of_memory' },
  torque: { [-11]: 'timeout', [-12]: 'timeout', [-10]: 'out_of_memory' },
  slurm: {},
};

export interface PbsState {
  state: JobState;
  raw: string;
  exitCode?: number;
  reason?: string;
  /** True when the record ended but carries no exit status (Slurm's wrapper): ask the status file. */
  needsArtifact: boolean;
}

/** job_state (+ exit_status and comment for finished jobs) → JobState. */
export function mapPbsState(record: QstatRecord, flavor: PbsFlavor): PbsState {
  const code = attribute(record, 'job_state') ?? '';
  const comment = attribute(record, 'comment');
  const raw = code;
  switch (code) {
    case 'Q': case 'H': case 'W': case 'T': case 'M':
      return { state: 'pending', raw, reason: comment, needsArtifact: false };
    case 'R': case 'B': case 'S': case 'U':
      return { state: code === 'U' ? 'unknown' : 'running', raw, needsArtifact: code === 'U' };
    case 'E':
      return { state: 'completing', raw, needsArtifact: false };
    case 'C': case 'F': case 'X':
      break;
    default:
      return { state: 'unknown', raw, reason: `unexpected job_state ${JSON.stringify(code)}`, needsArtifact: true };
  }
  const text = attribute(record, 'exit_status');
  if (text === undefined || !/^-?\d+$/.test(text)) {
    if (comment && /delet/i.test(comment)) return { state: 'cancelled', raw, reason: comment, needsArtifact: true };
    return { state: 'unknown', raw, reason: 'finished without an exit status', needsArtifact: true };
  }
  const status = Number(text);
  const rawWithExit = `${code} exit_status=${status}`;
  if (comment && /walltime.*exceed/i.test(comment)) return { state: 'timeout', raw: rawWithExit, exitCode: status, reason: comment, needsArtifact: false };
  if (comment && /mem.*exceed/i.test(comment)) return { state: 'out_of_memory', raw: rawWithExit, exitCode: status, reason: comment, needsArtifact: false };
  const limit = LIMIT_KILLS[flavor][status];
  if (limit) return { state: limit, raw: rawWithExit, exitCode: status, reason: comment ?? `exit_status ${status}`, needsArtifact: false };
  if (status === 0) return { state: 'completed', raw: rawWithExit, exitCode: 0, needsArtifact: false };
  if (status > 256) return { state: 'cancelled', raw: rawWithExit, exitCode: status, reason: comment ?? `killed by signal ${status - 256}`, needsArtifact: false };
  return { state: 'failed', raw: rawWithExit, exitCode: status, reason: comment ?? `exit_status ${status}`, needsArtifact: false };
}

const SERVICE_DOWN: Array<[RegExp, string]> = [
  [/cannot connect to server|Connection refused|pbs_iff|Communication failure|could not connect to trqauthd/i, 'cannot connect to the PBS server'],
  [/Unable to contact slurm controller/i, 'Unable to contact slurm controller (is slurmctld running?)'],
  [/Protocol authentication error|Munge encode failed/i, 'authentication failed (is munged running?)'],
];

export function pbsServiceDown(output: string): string | undefined {
  return SERVICE_DOWN.find(([re]) => re.test(output))?.[1];
}
