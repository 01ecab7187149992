// Shared adapter code: spec validation, script writing, scheduler calls with timeouts, artifact evidence, warn-once.
import fs from 'node:fs';
import { ServiceUnavailableError } from '../errors.js';
import { CommandFailedError, runCommand, type RunResult } from '../util/run.js';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import { jobFiles, taskFiles, type JobFiles } from './job-files.js';
import type { Scheduler } from './scheduler.js';
import { renderJobScript, renderTaskMap, type ScriptDialect } from './script.js';
import { readLogTail, readStatusFile, statusFromRecord, hasEnd } from './status-file.js';
import { expandRefs, isTerminal, refKey, type JobRef, type JobSpec, type JobStatus, type SchedulerName } from './types.js';
import { validateJobSpec } from './validate-spec.js';

export interface BatchLogger {
  warn(message: string): void;
  debug?(message: string): void;
}

export interface SchedulerOptions {
  /** Timeout of every scheduler command (sbatch, squeue, qsub …), from `scheduler.command_timeout_s`. */
  commandTimeoutS?: number;
  logger?: BatchLogger;
  /** Environment for scheduler commands (merged over process.env), e.g. a PATH with test doubles. */
  env?: Record<string, string>;
  /** Clock and file-name suffix, injectable for golden tests. */
  now?: () => Date;
  suffix?: () => string;
}

export interface RenderedJob {
  files: JobFiles;
  script: string;
}

export abstract class BaseScheduler implements Scheduler {
  abstract readonly name: SchedulerName;
  abstract readonly submitCommand: string;
  abstract readonly cancelCommand: string;
  /** Every warning issued, once each (also sent to the logger). */
  readonly warnings: string[] = [];
  /** Number of scheduler commands run (benchmarks and tests count them). */
  commandCount = 0;
  protected readonly options: SchedulerOptions;

  constructor(options: SchedulerOptions = {}) {
    this.options = options;
  }

  abstract available(): Promise<boolean>;
  abstract cancel(refs: JobRef[]): Promise<void>;
  /** The adapter's directives for this spec. */
  protected abstract dialect(spec: JobSpec, files: JobFiles): ScriptDialect;
  /** Hand the written script to the scheduler; returns the job id it printed. */
  protected abstract submitScript(spec: JobSpec, rendered: RenderedJob): Promise<string>;
  /** Scheduler-specific status of task-level refs; missing keys fall back to artifacts here in the base. */
  protected abstract query(refs: JobRef[]): Promise<Map<string, JobStatus>>;
  /** A reason when the command's output says the scheduler service is down, else undefined. */
  protected abstract serviceDown(output: string): string | undefined;

  /** Validate, write the task map and script (nothing is written if validation fails). */
  render(spec: JobSpec): RenderedJob {
    validateJobSpec(spec);
    const files = jobFiles(spec.jobDir, spec.name, this.options.now?.() ?? new Date(), this.options.suffix?.());
    const script = renderJobScript(spec, this.dialect(spec, files), files);
    return { files, script };
  }

  protected writeJob(spec: JobSpec, rendered: RenderedJob): void {
    fs.mkdirSync(rendered.files.dir, { recursive: true });
    if (spec.arrayCommands) writeFileAtomicSync(rendered.files.taskMap, renderTaskMap(spec.arrayCommands));
    writeFileAtomicSync(rendered.files.script, rendered.script, { mode: 0o755 });
  }

  async submit(spec: JobSpec): Promise<JobRef> {
    const rendered = this.render(spec);
    this.writeJob(spec, rendered);
    const jobId = await this.submitScript(spec, rendered);
    return this.makeRef(jobId, spec, rendered.files);
  }

  protected makeRef(jobId: string, spec: JobSpec, files: JobFiles): JobRef {
    const single = taskFiles(files);
    const ref: JobRef = {
      scheduler: this.name,
      jobId,
      logPaths: { stdout: single.stdout, stderr: single.stderr, scheduler: files.schedulerLog },
      script: files.script,
      walltimeMin: spec.walltimeMin,
    };
    if (!spec.arrayCommands) return { ...ref, statusFile: single.status };
    ref.tasks = spec.arrayCommands.map((_, task) => {
      const t = taskFiles(files, task);
      return {
        scheduler: this.name,
        jobId,
        arrayTaskId: task,
        statusFile: t.status,
        logPaths: { stdout: t.stdout, stderr: t.stderr, scheduler: files.schedulerLog },
        script: files.script,
        walltimeMin: spec.walltimeMin,
      };
    });
    return ref;
  }

  async status(refs: JobRef[]): Promise<Map<string, JobStatus>> {
    const tasks = expandRefs(refs);
    if (tasks.length === 0) return new Map();
    const found = await this.query(tasks);
    const result = new Map<string, JobStatus>();
    for (const ref of tasks) {
      const key = refKey(ref);
      result.set(key, this.finish(ref, found.get(key) ?? this.fromArtifact(ref)));
    }
    return result;
  }

  /** The status file's verdict, or `unknown` when the job left no trace anywhere. */
  protected fromArtifact(ref: JobRef, why = 'the scheduler no longer knows this job'): JobStatus {
    const record = readStatusFile(ref.statusFile);
    const status = statusFromRecord(record, ref);
    if (!status) return { state: 'unknown', reason: `${why} and it left no status file`, source: 'artifact' };
    if (status.state === 'unknown') status.reason = `${why}; ${status.reason}`;
    return status;
  }

  /** True when the status file records a clean end (exit code, no signal): no scheduler needed. */
  protected settledByArtifact(ref: JobRef): JobStatus | undefined {
    const record = readStatusFile(ref.statusFile);
    return hasEnd(record) && !record.signal ? statusFromRecord(record, ref) : undefined;
  }

  /** Add log paths, the exit code from the status file, and a log tail for jobs that did not succeed. */
  protected finish(ref: JobRef, status: JobStatus): JobStatus {
    const out: JobStatus = { ...status, stdoutPath: ref.logPaths.stdout, stderrPath: ref.logPaths.stderr };
    if (out.exitCode === undefined && isTerminal(out.state)) {
      const record = readStatusFile(ref.statusFile);
      if (hasEnd(record)) out.exitCode = record.exitCode;
    }
    if (out.state !== 'completed' && (isTerminal(out.state) || out.state === 'unknown')) {
      const tail = readLogTail(ref.logPaths.stderr) || readLogTail(ref.logPaths.stdout) || readLogTail(ref.logPaths.scheduler);
      if (tail) out.logTail = tail;
    }
    return out;
  }

  /** Log a warning the first time this text occurs. */
  protected warnOnce(reason: string): void {
    const message = `${this.name}: status may be inaccurate: ${reason}`;
    if (this.warnings.includes(message)) return;
    this.warnings.push(message);
    this.options.logger?.warn(message);
  }

  protected get timeoutMs(): number {
    return (this.options.commandTimeoutS ?? 60) * 1000;
  }

  /**
   * Run a scheduler command. Missing program, timeout, or a "service down" message become
   * ServiceUnavailableError (exit 4); other failures stay CommandFailedError unless `reject` is false.
   */
  protected async run(file: string, args: readonly string[], options: { reject?: boolean; input?: string } = {}): Promise<RunResult> {
    this.commandCount++;
    try {
      return await runCommand(file, args, { timeoutMs: this.timeoutMs, env: this.options.env, input: options.input });
    } catch (error) {
      if (!(error instanceof CommandFailedError)) throw error;
      if (error.notFound || error.timedOut) throw this.unavailable(file, error);
      const down = this.serviceDown(`${error.stderrTail}\n${error.stdout}`);
      if (down) {
        throw new ServiceUnavailableError(`${this.name}: ${file} failed: ${down}; check that the scheduler (controller, munge) is running, then retry`, {
          context: { command: error.command },
          cause: error,
        });
      }
      if (options.reject ?? true) throw error;
      return { command: error.command, exitCode: error.commandExitCode ?? -1, stdout: error.stdout, stderr: error.stderrTail, durationMs: error.durationMs };
    }
  }

  private unavailable(file: string, error: unknown): unknown {
    if (error instanceof CommandFailedError && (error.notFound || error.timedOut)) {
      const why = error.notFound ? `${file} is not installed or not on PATH` : `${file} did not answer within ${this.timeoutMs / 1000} s (scheduler.command_timeout_s)`;
      return new ServiceUnavailableError(`${this.name}: ${why}`, { cause: error });
    }
    return error;
  }
}
