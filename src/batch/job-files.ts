// Decides every file name of a job: script, task map, per-task logs and status files under <jobDir>/<yyyy-mm>/.
import crypto from 'node:crypto';
import path from 'node:path';
import type { JobLogPaths } from './types.js';

export interface JobFiles {
  dir: string;
  /** `<dir>/<name>-<yyyymmddTHHMMSSZ>-<hex4>`: unique per submission, so a resubmission never reads an old status. */
  stem: string;
  script: string;
  /** Task → argv map of an array job. */
  taskMap: string;
  /** Scheduler-level log (what happens before the script redirects its own output). */
  schedulerLog: string;
  /** The local runner's pid file. */
  pidFile: string;
  /** Written by LocalScheduler.cancel so tasks that never started read as cancelled. */
  cancelMarker: string;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

export function jobFiles(jobDir: string, name: string, now: Date = new Date(), suffix = crypto.randomBytes(2).toString('hex')): JobFiles {
  const month = `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}`;
  const stamp = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}T${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}Z`;
  const dir = path.join(jobDir, month);
  const stem = path.join(dir, `${name}-${stamp}-${suffix}`);
  return {
    dir,
    stem,
    script: `${stem}.sh`,
    taskMap: `${stem}.tasks`,
    schedulerLog: `${stem}.sched.log`,
    pidFile: `${stem}.pid`,
    cancelMarker: `${stem}.cancelled`,
  };
}

/** stdout/stderr/status of the job (task undefined) or of one array task. */
export function taskFiles(files: Pick<JobFiles, 'stem' | 'schedulerLog'>, task?: number): JobLogPaths & { status: string } {
  const base = task === undefined ? files.stem : `${files.stem}.${task}`;
  return { stdout: `${base}.out`, stderr: `${base}.err`, scheduler: files.schedulerLog, status: `${base}.status` };
}
