// LocalScheduler: detached runner processes on this machine, with pid and status files (the default scheduler).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { ConfigError } from '../errors.js';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import { pidAlive } from '../util/pid-alive.js';
import { BaseScheduler, type RenderedJob, type SchedulerOptions } from './base.js';
import type { JobFiles } from './job-files.js';
import { directive, type Directive, type ScriptDialect } from './script.js';
import { hasEnd, readStatusFile } from './status-file.js';
import { refKey, type JobRef, type JobSpec, type JobStatus } from './types.js';

/**
 * The runner: one detached bash per submission (its pid is the job id and its process group is
 * what cancel signals). A single job execs `timeout`; an array starts tasks in index order with
 * at most `par` running at once (`wait -n`). `timeout --foreground` enforces the wall time by
 * sending TERM to the job script, which records the signal in its status file.
 */
export const LOCAL_RUNNER = String.raw`script=$1 n=$2 par=$3 wall=$4
export DAQFLOW_JOB_ID=$$
if [ "$n" = 0 ]; then exec timeout --foreground -s TERM -k 10 "${'$'}{wall}m" bash "$script"; fi
for ((i = 0; i < n; i++)); do
  while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do wait -n; done
  DAQFLOW_TASK_ID=$i timeout --foreground -s TERM -k 10 "${'$'}{wall}m" bash "$script" &
done
wait`;

export interface LocalSchedulerOptions extends SchedulerOptions {
  /** Array tasks running at once when the spec sets no `arrayMaxParallel` (default 2). */
  maxParallel?: number;
}

export class LocalScheduler extends BaseScheduler {
  readonly name = 'local' as const;
  readonly submitCommand = 'bash';
  readonly cancelCommand = 'kill';
  private readonly maxParallel: number;

  constructor(options: LocalSchedulerOptions = {}) {
    super(options);
    this.maxParallel = options.maxParallel ?? 2;
  }

  async available(): Promise<boolean> {
    return true;
  }

  protected serviceDown(): string | undefined {
    return undefined;
  }

  protected dialect(spec: JobSpec, files: JobFiles): ScriptDialect {
    if (spec.dependency) {
      throw new ConfigError(`job ${spec.name}: the local scheduler does not support dependencies; use slurm or pbs, or submit after the first job ends`, {
        context: { option: 'job.dependency' },
      });
    }
    const d: Directive[] = [directive('--job-name', spec.name), directive('--output', files.schedulerLog), directive('--cpus', spec.cpus)];
    d.push(directive('--mem-gb', spec.memGb), directive('--time-min', spec.walltimeMin));
    if (spec.arrayCommands) d.push(directive('--array', `0-${spec.arrayCommands.length - 1}%${this.parallel(spec)}`));
    // Local directives are a record only: nothing reads them.
    return { prefix: '#LOCAL', directives: d };
  }

  private parallel(spec: JobSpec): number {
    return spec.arrayMaxParallel ?? this.maxParallel;
  }

  protected async submitScript(spec: JobSpec, rendered: RenderedJob): Promise<string> {
    this.commandCount++;
    const n = spec.arrayCommands?.length ?? 0;
    const log = fs.openSync(rendered.files.schedulerLog, 'a');
    try {
      const child = spawn('bash', ['-c', LOCAL_RUNNER, 'daqflow-local-runner', rendered.files.script, String(n), String(this.parallel(spec)), String(spec.walltimeMin)], {
        detached: true,
        stdio: ['ignore', log, log],
        env: { ...process.env, ...this.options.env },
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      child.unref();
      writeFileAtomicSync(rendered.files.pidFile, `${child.pid}\n`);
      return String(child.pid);
    } finally {
      fs.closeSync(log);
    }
  }

  /** The runner is alive when its pid answers and (where /proc exists) its command line names our script. */
  private runnerAlive(ref: JobRef): boolean {
    const pid = Number(ref.jobId);
    if (!pidAlive(pid)) return false;
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return ref.script === undefined || cmdline.includes(ref.script);
    } catch {
      return true;
    }
  }

  private cancelMarker(ref: JobRef): string | undefined {
    return ref.script?.replace(/\.sh$/, '.cancelled');
  }

  protected async query(refs: JobRef[]): Promise<Map<string, JobStatus>> {
    const out = new Map<string, JobStatus>();
    const alive = new Map<string, boolean>();
    for (const ref of refs) {
      const key = refKey(ref);
      const record = readStatusFile(ref.statusFile);
      if (hasEnd(record)) {
        out.set(key, this.fromArtifact(ref));
        continue;
      }
      if (!alive.has(ref.jobId)) alive.set(ref.jobId, this.runnerAlive(ref));
      if (alive.get(ref.jobId)) {
        const started = record?.startS !== undefined;
        out.set(key, { state: started ? 'running' : 'pending', raw: `pid ${ref.jobId} alive`, source: 'pidfile' });
      } else if (!record?.startS && this.cancelMarker(ref) && fs.existsSync(this.cancelMarker(ref)!)) {
        out.set(key, { state: 'cancelled', reason: 'cancelled before it started', raw: `pid ${ref.jobId} gone`, source: 'pidfile' });
      } else {
        out.set(key, this.fromArtifact(ref, `runner pid ${ref.jobId} is gone`));
      }
    }
    return out;
  }

  /** SIGTERM to each runner's process group (runner, timeout, job scripts and payloads). */
  async cancel(refs: JobRef[]): Promise<void> {
    const seen = new Set<string>();
    for (const ref of refs) {
      if (seen.has(ref.jobId)) continue;
      seen.add(ref.jobId);
      const marker = this.cancelMarker(ref);
      if (marker) writeFileAtomicSync(marker, `${new Date().toISOString()}\n`);
      if (!this.runnerAlive(ref)) continue;
      try {
        process.kill(-Number(ref.jobId), 'SIGTERM');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
  }
}
