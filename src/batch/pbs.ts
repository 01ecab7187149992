// PbsScheduler: qsub/qstat/qdel facts for OpenPBS, Torque and Slurm's Torque wrappers; options go on the command line.
import { BaseScheduler, type RenderedJob, type SchedulerOptions } from './base.js';
import type { JobFiles } from './job-files.js';
import { mapPbsState, parseQsubOutput, parseQstatF, pbsServiceDown, type PbsFlavor } from './pbs-parse.js';
import { directive, directiveArgs, type Directive, type ScriptDialect } from './script.js';
import { hasEnd, readStatusFile } from './status-file.js';
import { refKey, type JobRef, type JobSpec, type JobStatus } from './types.js';
import { validatePlainPath } from './validate-spec.js';

export interface PbsSchedulerOptions extends SchedulerOptions {
  /** `auto` asks `qstat --version` once (OpenPBS prints pbs_version, Torque "Version:", Slurm's wrapper neither). */
  flavor?: PbsFlavor | 'auto';
}

function hms(minutes: number): string {
  const m = Math.ceil(minutes);
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00`;
}

/** The part before the first dot, so `17.server` and `17.server.domain` match. */
const short = (id: string): string => id.split('.')[0]!;

export class PbsScheduler extends BaseScheduler {
  readonly name = 'pbs' as const;
  readonly submitCommand = 'qsub';
  readonly cancelCommand = 'qdel';
  private flavor: PbsFlavor | undefined;

  constructor(options: PbsSchedulerOptions = {}) {
    super(options);
    this.flavor = options.flavor === 'auto' ? undefined : options.flavor;
  }

  async available(): Promise<boolean> {
    try {
      await this.run('qstat', ['-Q'], { reject: false });
      return true;
    } catch {
      return false;
    }
  }

  /** Detected once per scheduler object. */
  async detectFlavor(): Promise<PbsFlavor> {
    if (this.flavor) return this.flavor;
    const result = await this.run('qstat', ['--version'], { reject: false });
    const text = `${result.stdout}\n${result.stderr}`;
    this.flavor = /pbs_version/i.test(text) ? 'openpbs' : /^\s*Version:/m.test(text) ? 'torque' : 'slurm';
    return this.flavor;
  }

  protected serviceDown(output: string): string | undefined {
    return pbsServiceDown(output);
  }

  protected dialect(spec: JobSpec, files: JobFiles): ScriptDialect {
    const flavor = this.flavor ?? 'torque';
    // Slurm's qsub builds a shell string from these paths without quoting them.
    validatePlainPath(files.schedulerLog, 'scheduler.job_dir');
    const d: Directive[] = [directive('-N', spec.name), directive('-j', 'oe'), directive('-o', files.schedulerLog)];
    const queue = spec.queue ?? spec.partition;
    if (queue) d.push(directive('-q', queue));
    if (spec.account) d.push(directive('-A', spec.account));
    const memMb = Math.ceil(spec.memGb * 1024);
    if (flavor === 'openpbs') d.push(directive('-l', `select=1:ncpus=${spec.cpus}:mem=${memMb}mb`));
    else if (flavor === 'torque') d.push(directive('-l', `nodes=1:ppn=${spec.cpus}`), directive('-l', `mem=${memMb}mb`));
    // Slurm's qsub keeps only the last -l, so everything goes into one.
    if (flavor === 'slurm') d.push(directive('-l', `ncpus=${spec.cpus},mem=${memMb}mb,walltime=${hms(spec.walltimeMin)}`));
    else d.push(directive('-l', `walltime=${hms(spec.walltimeMin)}`));
    if (spec.arrayCommands) {
      const range = `0-${spec.arrayCommands.length - 1}${spec.arrayMaxParallel ? `%${spec.arrayMaxParallel}` : ''}`;
      d.push(directive(flavor === 'openpbs' ? '-J' : '-t', range));
    }
    if (spec.dependency) d.push(directive('-W', `depend=${spec.dependency.kind}:${spec.dependency.jobIds.join(':')}`));
    // sbatch itself parses `#PBS` lines (and misreads some), so under Slurm's wrapper they are only a record.
    return { prefix: flavor === 'slurm' ? '# qsub' : '#PBS', directives: d };
  }

  /** Flavor must be known before rendering, so submit detects it first. */
  override async submit(spec: JobSpec): Promise<JobRef> {
    await this.detectFlavor();
    return super.submit(spec);
  }

  protected async submitScript(spec: JobSpec, rendered: RenderedJob): Promise<string> {
    const args = directiveArgs(spec, this.dialect(spec, rendered.files));
    const result = await this.run('qsub', [...args, rendered.files.script]);
    return parseQsubOutput(result.stdout).jobId;
  }

  /** The id qstat knows a ref by: subjob `17[3].server` on PBS/Torque; Slurm's wrapper only knows the parent. */
  private nativeId(ref: JobRef, flavor: PbsFlavor): string {
    if (ref.arrayTaskId === undefined || flavor === 'slurm') return ref.jobId;
    return ref.jobId.includes('[]') ? ref.jobId.replace('[]', `[${ref.arrayTaskId}]`) : `${ref.jobId}[${ref.arrayTaskId}]`;
  }

  protected async query(refs: JobRef[]): Promise<Map<string, JobStatus>> {
    const out = new Map<string, JobStatus>();
    const flavor = await this.detectFlavor();
    const ids = [...new Set(refs.map((r) => this.nativeId(r, flavor)))];
    const args = flavor === 'openpbs' ? ['-f', '-x', ...ids] : ['-f', ...ids];
    let text = '';
    try {
      // Unknown ids make qstat exit 153 (with or without a message) while it still prints the known ones.
      const result = await this.run('qstat', args, { reject: false });
      if (result.exitCode !== 0 && result.exitCode !== 153) this.warnOnce(`qstat failed (${result.stderr.trim() || `exit ${result.exitCode}`})`);
      text = result.stdout;
    } catch (error) {
      this.warnOnce(`qstat failed: ${(error as Error).message}`);
    }
    const records = new Map(parseQstatF(text).map((r) => [short(r.jobId), r]));
    for (const ref of refs) {
      const record = records.get(short(this.nativeId(ref, flavor)));
      if (!record) continue;
      const mapped = mapPbsState(record, flavor);
      const parentOfTask = flavor === 'slurm' && ref.arrayTaskId !== undefined;
      if (mapped.needsArtifact || parentOfTask) {
        const fromTask = this.taskEvidence(ref, mapped.state);
        if (fromTask) {
          out.set(refKey(ref), { ...fromTask, raw: mapped.raw });
          continue;
        }
      }
      out.set(refKey(ref), { state: mapped.state, exitCode: mapped.exitCode, reason: mapped.reason, raw: mapped.raw, source: 'qstat' });
    }
    return out;
  }

  /** Where qstat cannot tell (wrapper: no exit status, no per-task state), the status file decides. */
  private taskEvidence(ref: JobRef, parentState: JobStatus['state']): JobStatus | undefined {
    const record = readStatusFile(ref.statusFile);
    if (hasEnd(record)) return this.fromArtifact(ref);
    if (parentState === 'running' || parentState === 'pending') {
      return { state: record?.startS !== undefined ? 'running' : 'pending', source: 'qstat', reason: 'array task; state from the parent job and the status file' };
    }
    return undefined;
  }

  async cancel(refs: JobRef[]): Promise<void> {
    const flavor = await this.detectFlavor();
    const ids = [...new Set(refs.map((r) => this.nativeId(r, flavor)))];
    // qdel of an unknown or finished id fails on some servers; that is not an error for us.
    if (ids.length > 0) await this.run('qdel', ids, { reject: false });
  }
}
