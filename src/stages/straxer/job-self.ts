// What a batch job can tell about itself from its environment: scheduler, job id (daqflow's form), array task, files.
import type { SchedulerName } from '../../batch/index.js';

/**
 * Recorded by the job with `running` (`daqflow.process.job_self`): if the submitter was killed before it recorded the
 * job, a later pass still finds the job through this (see auto-process's follow.ts).
 */
export interface SelfJob {
  scheduler: SchedulerName;
  /** `<parent>_<task>` for array tasks, as submit records job ids. */
  job_id: string;
  array_task: number | null;
  status_file: string | null;
  stdout: string | null;
  stderr: string | null;
}

const taskOf = (text: string | undefined): number | null => (text !== undefined && /^\d+$/.test(text) ? Number(text) : null);

/** The job this process runs in, or null outside a batch job (daqflow's job script exports the file paths). */
export function selfJobFromEnv(env: NodeJS.ProcessEnv = process.env): SelfJob | null {
  const files = { status_file: env.DAQFLOW_JOB_STATUS_FILE || null, stdout: env.DAQFLOW_JOB_STDOUT || null, stderr: env.DAQFLOW_JOB_STDERR || null };
  const withTask = (scheduler: SchedulerName, parent: string, task: number | null): SelfJob => ({
    scheduler, job_id: task === null ? parent : `${parent}_${task}`, array_task: task, ...files,
  });
  if (env.SLURM_JOB_ID) {
    const task = taskOf(env.SLURM_ARRAY_TASK_ID);
    return task !== null && env.SLURM_ARRAY_JOB_ID ? withTask('slurm', env.SLURM_ARRAY_JOB_ID, task) : withTask('slurm', env.SLURM_JOB_ID, null);
  }
  if (env.PBS_JOBID) {
    const task = taskOf(env.PBS_ARRAY_INDEX ?? env.PBS_ARRAYID);
    // An array task's PBS_JOBID is `17[3].server`; submit records the parent `17[].server` with the task.
    return task === null ? withTask('pbs', env.PBS_JOBID, null) : withTask('pbs', env.PBS_JOBID.replace(`[${task}]`, '[]'), task);
  }
  if (env.DAQFLOW_JOB_ID) return withTask('local', env.DAQFLOW_JOB_ID, taskOf(env.DAQFLOW_TASK_ID));
  return null;
}
