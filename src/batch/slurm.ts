// SlurmScheduler: sbatch/squeue/scontrol/sacct/scancel facts only; shared behaviour lives in BaseScheduler.
import { ConfigError } from '../errors.js';
import { BaseScheduler, type RenderedJob } from './base.js';
import type { JobFiles } from './job-files.js';
import { directive, type Directive, type ScriptDialect } from './script.js';
import {
  mapSlurmState, parseExitCode, parseSacct, parseSbatchOutput, parseScontrolShowJob, parseSqueue, slurmServiceDown, type SacctRow,
} from './slurm-parse.js';
import { refKey, type JobRef, type JobSpec, type JobStatus } from './types.js';

/** Extra scontrol calls per status() for failed jobs whose exit code is nowhere else. */
const MAX_SCONTROL_CALLS = 20;

export class SlurmScheduler extends BaseScheduler {
  readonly name = 'slurm' as const;
  readonly submitCommand = 'sbatch';
  readonly cancelCommand = 'scancel';
  /** Set once `sacct` said accounting storage is disabled; later calls go straight to `sacct -c`. */
  private accountingDisabled = false;

  async available(): Promise<boolean> {
    try {
      await this.run('sbatch', ['--version']);
      return true;
    } catch {
      return false;
    }
  }

  protected serviceDown(output: string): string | undefined {
    return slurmServiceDown(output);
  }

  protected dialect(spec: JobSpec, files: JobFiles): ScriptDialect {
    const d: Directive[] = [directive('--job-name', spec.name), directive('--output', files.schedulerLog), directive('--open-mode', 'append')];
    if (spec.partition) d.push(directive('--partition', spec.partition));
    if (spec.account) d.push(directive('--account', spec.account));
    if (spec.qos) d.push(directive('--qos', spec.qos));
    d.push(directive('--ntasks', 1), directive('--cpus-per-task', spec.cpus));
    d.push(directive('--mem', `${Math.ceil(spec.memGb * 1024)}M`));
    d.push(directive('--time', Math.ceil(spec.walltimeMin)));
    if (spec.arrayCommands) {
      const max = spec.arrayMaxParallel ? `%${spec.arrayMaxParallel}` : '';
      d.push(directive('--array', `0-${spec.arrayCommands.length - 1}${max}`));
    }
    if (spec.dependency) d.push(directive('--dependency', `${spec.dependency.kind}:${spec.dependency.jobIds.join(':')}`));
    return { prefix: '#SBATCH', directives: d };
  }

  protected async submitScript(_spec: JobSpec, rendered: RenderedJob): Promise<string> {
    try {
      const result = await this.run('sbatch', ['--parsable', rendered.files.script]);
      return parseSbatchOutput(result.stdout).jobId;
    } catch (error) {
      const text = String((error as { stderrTail?: string }).stderrTail ?? '');
      const m = /Batch job submission failed: (Invalid (?:partition|account|qos)[^\n]*|[^\n]*(?:not available|not permitted)[^\n]*)/i.exec(text);
      if (m) throw new ConfigError(`slurm: sbatch refused the job: ${m[1]}; check scheduler.partition/account/qos`, { cause: error });
      throw error;
    }
  }

  protected async query(refs: JobRef[]): Promise<Map<string, JobStatus>> {
    const out = new Map<string, JobStatus>();
    const keys = [...new Set(refs.map(refKey))];
    const byKey = new Map(refs.map((r) => [refKey(r), r]));
    for (const [key, status] of await this.squeue(keys)) out.set(key, status);
    await this.addFailedExitCodes(out, byKey);
    const missing: JobRef[] = [];
    for (const ref of refs) {
      if (out.has(refKey(ref))) continue;
      const settled = this.settledByArtifact(ref);
      if (settled) out.set(refKey(ref), settled);
      else missing.push(ref);
    }
    if (missing.length > 0) for (const [key, status] of await this.sacct(missing.map(refKey))) out.set(key, status);
    return out;
  }

  /** One squeue call for every id; a lone unknown id makes squeue exit 1, which means "none known". */
  private async squeue(keys: string[]): Promise<Map<string, JobStatus>> {
    const out = new Map<string, JobStatus>();
    let text: string;
    try {
      const result = await this.run('squeue', ['-h', '-t', 'all', '-r', '-j', keys.join(','), '-o', '%i %T %r'], { reject: false });
      if (result.exitCode !== 0) {
        if (!/Invalid job id specified/i.test(result.stderr)) this.warnOnce(`squeue failed (${result.stderr.trim() || `exit ${result.exitCode}`})`);
        return out;
      }
      text = result.stdout;
    } catch (error) {
      this.warnOnce(`squeue failed: ${(error as Error).message}`);
      return out;
    }
    const wanted = new Set(keys);
    for (const row of parseSqueue(text)) {
      if (!wanted.has(row.id)) continue;
      out.set(row.id, { state: mapSlurmState(row.state), raw: row.state, reason: row.reason && row.reason !== 'None' ? row.reason : undefined, source: 'squeue' });
    }
    return out;
  }

  /** squeue has no exit code: failed jobs get it from the status file, else from `scontrol show job`. */
  private async addFailedExitCodes(out: Map<string, JobStatus>, byKey: Map<string, JobRef>): Promise<void> {
    let calls = 0;
    for (const [key, status] of out) {
      if (status.state !== 'failed' || calls >= MAX_SCONTROL_CALLS) continue;
      const artifact = this.settledByArtifact(byKey.get(key)!);
      if (artifact?.exitCode !== undefined) {
        status.exitCode = artifact.exitCode;
        continue;
      }
      calls++;
      try {
        const result = await this.run('scontrol', ['show', 'job', key], { reject: false });
        const record = parseScontrolShowJob(result.stdout)[0];
        const code = parseExitCode(record?.ExitCode);
        if (code) out.set(key, { ...status, exitCode: code.exitCode, source: 'scontrol', reason: record?.Reason ?? status.reason });
      } catch (error) {
        this.warnOnce(`scontrol show job failed: ${(error as Error).message}`);
      }
    }
  }

  /** Jobs gone from squeue: accounting (`sacct`), else the jobcomp file (`sacct -c`). Exact id matches only. */
  private async sacct(keys: string[]): Promise<Map<string, JobStatus>> {
    const out = new Map<string, JobStatus>();
    const fields = ['-n', '-P', '-o', 'JobID,JobIDRaw,State,ExitCode', '-j', keys.join(',')];
    let rows: SacctRow[] | undefined;
    let source: 'sacct' | 'sacct -c' = 'sacct';
    try {
      if (!this.accountingDisabled) {
        const result = await this.run('sacct', ['-X', ...fields], { reject: false });
        if (result.exitCode === 0) rows = parseSacct(result.stdout);
        else if (/accounting storage is disabled/i.test(`${result.stderr}${result.stdout}`)) this.accountingDisabled = true;
        else this.warnOnce(`sacct failed (${result.stderr.trim() || `exit ${result.exitCode}`})`);
      }
      if (!rows && this.accountingDisabled) {
        source = 'sacct -c';
        // sacct -c prints errors for array records but still lists the jobs, so its exit code is not trusted.
        const result = await this.run('sacct', ['-c', ...fields], { reject: false });
        rows = parseSacct(result.stdout);
        if (rows.length === 0 && result.exitCode !== 0) this.warnOnce(`sacct -c failed (${result.stderr.trim() || `exit ${result.exitCode}`})`);
      }
    } catch (error) {
      this.warnOnce(`sacct failed: ${(error as Error).message}`);
    }
    const wanted = new Set(keys);
    for (const row of rows ?? []) {
      if (!wanted.has(row.jobId)) continue;
      const state = mapSlurmState(row.state);
      const code = parseExitCode(row.exitCode);
      // The jobcomp file says 0:0 for cancelled and timed-out jobs: only trust exit codes of ended jobs.
      const exitCode = code && (state === 'completed' || state === 'failed') ? code.exitCode : undefined;
      out.set(row.jobId, { state, raw: row.state, exitCode, source, reason: state === 'completed' ? undefined : row.state });
    }
    return out;
  }

  async cancel(refs: JobRef[]): Promise<void> {
    const ids = [...new Set(refs.map(refKey))];
    if (ids.length > 0) await this.run('scancel', ids);
  }
}
