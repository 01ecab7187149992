// Pure parsers for Slurm command output (sbatch, squeue, scontrol, sacct) and the Slurm → JobState mapping.
import { SchedulerOutputError } from '../errors.js';
import type { JobState } from './types.js';

export interface SbatchResult {
  jobId: string;
  cluster?: string;
}

/** `sbatch --parsable` prints `<jobid>` or `<jobid>;<cluster>`; plain sbatch prints `Submitted batch job <jobid>`. */
export function parseSbatchOutput(text: string): SbatchResult {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  for (const line of lines.reverse()) {
    const parsable = /^(\d+)(?:;(\S+))?$/.exec(line);
    if (parsable) return parsable[2] ? { jobId: parsable[1]!, cluster: parsable[2] } : { jobId: parsable[1]! };
    const plain = /^Submitted batch job (\d+)(?: on cluster (\S+))?$/.exec(line);
    if (plain) return plain[2] ? { jobId: plain[1]!, cluster: plain[2] } : { jobId: plain[1]! };
  }
  throw new SchedulerOutputError('sbatch', "a job id ('12345' or '12345;cluster')", text);
}

/** Slurm's largest possible MaxArraySize: no real array id expands to more tasks. */
export const MAX_ARRAY_TASKS = 4_000_001;

/**
 * Expand Slurm array id notation: `12_[1-3,5%4]` → 12_1 12_2 12_3 12_5; `12_7` and `12` stay as they are.
 */
export function expandArrayIds(id: string): string[] {
  const m = /^(\d+)_\[([^\]]*)\]$/.exec(id.trim());
  if (!m) {
    if (!/^\d+(?:_\d+)?$/.test(id.trim())) throw new SchedulerOutputError('slurm job id', "'12', '12_3' or '12_[1-3,5%4]'", id);
    return [id.trim()];
  }
  const [, base, body] = m;
  const out: string[] = [];
  for (const part of body!.split('%')[0]!.split(',')) {
    const range = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part.trim());
    if (!range) throw new SchedulerOutputError('slurm array id', "'12_[1-3,5%4]'", id);
    const lo = Number(range[1]);
    const hi = range[2] === undefined ? lo : Number(range[2]);
    const step = range[3] === undefined ? 1 : Number(range[3]);
    if (hi < lo || step < 1) throw new SchedulerOutputError('slurm array id', 'ascending ranges', id);
    // A garbled or hostile range must not exhaust memory: refuse it before expanding.
    if (out.length + Math.floor((hi - lo) / step) + 1 > MAX_ARRAY_TASKS) throw new SchedulerOutputError('slurm array id', `at most ${MAX_ARRAY_TASKS} tasks (Slurm's largest MaxArraySize)`, id);
    for (let i = lo; i <= hi; i += step) out.push(`${base}_${i}`);
  }
  return out;
}

export interface SqueueRow {
  id: string;
  state: string;
  reason: string;
}

/** Rows of `squeue -h -o '%i %T %r'`; pending array ranges are expanded into one row per task. */
export function parseSqueue(text: string): SqueueRow[] {
  const rows: SqueueRow[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const m = /^(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(trimmed);
    if (!m || !/^[A-Z_]+$/.test(m[2]!)) throw new SchedulerOutputError('squeue', "'<jobid> <STATE> <reason>' lines", text);
    for (const id of expandArrayIds(m[1]!)) rows.push({ id, state: m[2]!, reason: (m[3] ?? '').trim() });
  }
  return rows;
}

/** `Key=Value` pairs of `scontrol show job` output, one record per job (blank-line separated). */
export function parseScontrolShowJob(text: string): Array<Record<string, string>> {
  const records: Array<Record<string, string>> = [];
  let current: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    if (!line.trim()) {
      current = undefined;
      continue;
    }
    // A value runs until the next ` Key=` (values such as Command may contain spaces).
    const re = /(?:^|\s)([A-Za-z][A-Za-z0-9_:/()]*)=(.*?)(?=\s+[A-Za-z][A-Za-z0-9_:/()]*=|$)/g;
    for (const m of line.matchAll(re)) {
      if (m[1] === 'JobId' || !current) {
        current = {};
        records.push(current);
      }
      current[m[1]!] = m[2]!.trim();
    }
  }
  return records.filter((r) => r.JobId !== undefined);
}

/** `3:0` → 3 (exit code) and the signal number after the colon. */
export function parseExitCode(text: string | undefined): { exitCode: number; signal: number } | undefined {
  const m = /^(\d+):(\d+)$/.exec(text?.trim() ?? '');
  return m ? { exitCode: Number(m[1]), signal: Number(m[2]) } : undefined;
}

export interface SacctRow {
  jobId: string;
  jobIdRaw?: string;
  state: string;
  exitCode?: string;
}

/** `sacct -n -P -o JobID,JobIDRaw,State,ExitCode` (also with `-c`); step rows (`12.batch`) are dropped. */
export function parseSacct(text: string): SacctRow[] {
  const rows: SacctRow[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('|')) continue;
    const [jobId, jobIdRaw, state, exitCode] = line.trim().split('|');
    if (!jobId || !state || jobId.includes('.')) continue;
    rows.push({ jobId, jobIdRaw: jobIdRaw || undefined, state: state.trim(), exitCode: exitCode || undefined });
  }
  return rows;
}

const SLURM_STATES: Record<string, JobState> = {
  PENDING: 'pending', REQUEUED: 'pending', REQUEUE_HOLD: 'pending', REQUEUE_FED: 'pending', RESV_DEL_HOLD: 'pending',
  CONFIGURING: 'pending', SUSPENDED: 'running', RUNNING: 'running', RESIZING: 'running', SIGNALING: 'running',
  STAGE_OUT: 'completing', STOPPED: 'running', COMPLETING: 'completing', COMPLETED: 'completed', FAILED: 'failed',
  SPECIAL_EXIT: 'failed', BOOT_FAIL: 'node_fail', NODE_FAIL: 'node_fail', CANCELLED: 'cancelled', REVOKED: 'cancelled',
  PREEMPTED: 'cancelled', TIMEOUT: 'timeout', DEADLINE: 'timeout', OUT_OF_MEMORY: 'out_of_memory',
};

/** Slurm's state word (`CANCELLED by 0`, `CANCELLED+`, `OUT_OF_ME+` from narrow columns) → JobState. */
export function mapSlurmState(raw: string): JobState {
  const word = raw.trim().split(/\s+/)[0]!.replace(/\+$/, '');
  if (SLURM_STATES[word]) return SLURM_STATES[word]!;
  const prefix = Object.keys(SLURM_STATES).find((k) => word.length >= 4 && k.startsWith(word));
  return prefix ? SLURM_STATES[prefix]! : 'unknown';
}

const SERVICE_DOWN: Array<[RegExp, string]> = [
  [/Unable to contact slurm controller/i, 'Unable to contact slurm controller (is slurmctld running?)'],
  [/Protocol authentication error|Munge encode failed|Munged communication error|auth_g_create/i, 'authentication failed (is munged running?)'],
  [/Socket timed out on send\/recv operation|Zero Bytes were transmitted or received/i, 'the slurm controller did not answer in time'],
];

/** A reason when Slurm output says the controller or munge is down. */
export function slurmServiceDown(output: string): string | undefined {
  return SERVICE_DOWN.find(([re]) => re.test(output))?.[1];
}
