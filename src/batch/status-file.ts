// Reads the status file a job script writes (start, end, exit code, signal) and turns it into evidence.
import fs from 'node:fs';
import type { JobRef, JobStatus } from './types.js';

export interface StatusRecord {
  startS?: number;
  endS?: number;
  exitCode?: number;
  signal?: string;
  host?: string;
  pid?: number;
  walltimeS?: number;
  schedulerJobId?: string;
}

const int = (text: string | undefined): number | undefined => (text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined);

/** Parse `key=value` lines; later lines win; unknown keys are ignored. */
export function parseStatusFile(text: string): StatusRecord {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return {
    startS: int(kv.get('start')),
    endS: int(kv.get('end')),
    exitCode: int(kv.get('exit')),
    signal: kv.get('signal') || undefined,
    host: kv.get('host') || undefined,
    pid: int(kv.get('pid')),
    walltimeS: int(kv.get('walltime_s')),
    schedulerJobId: kv.get('scheduler_job_id') || undefined,
  };
}

export function readStatusFile(file: string | undefined): StatusRecord | undefined {
  if (!file) return undefined;
  try {
    return parseStatusFile(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** A status file with an `end` line settles the outcome on its own. */
export function hasEnd(record: StatusRecord | undefined): record is StatusRecord & { endS: number } {
  return record?.endS !== undefined && record.exitCode !== undefined;
}

/** Slack for deciding that a TERM came from the time limit rather than a cancel. */
const WALLTIME_SLACK_S = 3;

/**
 * What the status file alone says. A clean end decides completed/failed; a recorded signal
 * is a time-limit kill when the job ran for its whole wall time, else a cancel. Without an end
 * record the file proves only that the job started.
 */
export function statusFromRecord(record: StatusRecord | undefined, ref: Pick<JobRef, 'walltimeMin'>): JobStatus | undefined {
  if (!record || record.startS === undefined) return undefined;
  if (!hasEnd(record)) {
    return { state: 'unknown', reason: `started at ${new Date(record.startS * 1000).toISOString()}${record.host ? ` on ${record.host}` : ''}; no end recorded`, source: 'artifact' };
  }
  const elapsed = record.endS - record.startS;
  if (record.signal) {
    const limitS = record.walltimeS ?? (ref.walltimeMin !== undefined ? ref.walltimeMin * 60 : undefined);
    const timedOut = limitS !== undefined && elapsed >= limitS - WALLTIME_SLACK_S;
    return {
      state: timedOut ? 'timeout' : 'cancelled',
      exitCode: record.exitCode,
      reason: timedOut
        ? `terminated by SIG${record.signal} after ${elapsed} s, at its time limit of ${limitS} s`
        : `terminated by SIG${record.signal} after ${elapsed} s (cancelled or preempted)`,
      raw: `exit=${record.exitCode} signal=${record.signal}`,
      source: 'artifact',
    };
  }
  return {
    state: record.exitCode === 0 ? 'completed' : 'failed',
    exitCode: record.exitCode,
    reason: record.exitCode === 0 ? undefined : `exited with code ${record.exitCode}`,
    raw: `exit=${record.exitCode}`,
    source: 'artifact',
  };
}

/** Last `lines` lines of a log file ('' when missing), read from the end so large logs stay cheap. */
export function readLogTail(file: string | undefined, lines = 20, maxBytes = 16_384): string {
  if (!file) return '';
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const length = Math.min(size, maxBytes);
      const buffer = Buffer.alloc(length);
      fs.readSync(fd, buffer, 0, length, size - length);
      return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}
