// submit, step 2: what to do with each requested run — skip it, adopt existing output, or plan a job for it.
import { workPaths } from '../../config/resolve-paths.js';
import { stageOf, type ProcessState, type RunDoc, type RunStore } from '../../rundb/index.js';
import { formatRunId } from '../../util/validate.js';
import type { SubmitOptions, SubmitSummary } from '../submit.js';
import { existingOutput, nextAddDir } from './existing-output.js';

export const STAGE = 'process';
const IN_FLIGHT: readonly ProcessState[] = ['claimed', 'submitted', 'running'];

export interface Planned {
  run: number;
  /** The state before submit claimed it (restored when the submission fails). */
  previous: ProcessState;
  /** Extra `--set`s for this run's job (output_exists_mode overwrite/add). */
  sets: string[];
  /** The claim this submission holds (set once claimed); the job guards every state update with it. */
  claimId?: string;
}

/** The claim_id a claim wrote into the run's stage state. */
export function claimIdOf(store: RunStore, claimed: RunDoc): string | undefined {
  const id = stageOf(claimed, store.stateField, STAGE)?.claim_id;
  return typeof id === 'string' ? id : undefined;
}

/** Decide per run: skip (in flight, abandoned), associate existing output, or plan a job. Writes nothing except `associate`. */
export async function planRuns(options: SubmitOptions, store: RunStore, targets: string[], summary: SubmitSummary, host: string): Promise<Planned[]> {
  const paths = workPaths(options.config);
  const mode = options.outputExists ?? 'raise';
  const planned: Planned[] = [];
  for (const run of options.runs) {
    const doc = await store.getRun(run);
    const state = doc ? stageOf(doc, store.stateField, STAGE) : undefined;
    const current: ProcessState = state?.state ?? 'pending';
    if (current === 'abandoned') {
      summary.skipped.push({ run, reason: 'abandoned by a person; daqflow never touches it' });
      continue;
    }
    if (IN_FLIGHT.includes(current) && !options.force) {
      summary.skipped.push({ run, reason: `already ${current}${state?.job_id ? ` as job ${state.job_id}` : ''} (use --force to resubmit)` });
      continue;
    }
    const existing = (await Promise.all(targets.map((t) => existingOutput(paths.storageDirs, run, t, options.lineageHashOf)))).filter((p): p is string => p !== null);
    const sets: string[] = [];
    if (existing.length === targets.length || (existing.length > 0 && mode !== 'associate')) {
      if (mode === 'raise') {
        summary.failed.push({ run, duration_s: 0, reason: `output exists at ${existing.join(', ')} (choose --output-exists overwrite, associate or add)` });
        continue;
      }
      if (mode === 'associate' && existing.length === targets.length) {
        if (!options.dryRun) {
          if (!doc) await store.upsertRun({ number: run, name: formatRunId(run) });
          await store.updateStage(run, STAGE, { set: { state: 'done', host, targets, reason: `associated existing output ${existing.join(', ')}` } });
        }
        summary.associated.push(...existing.map((location) => ({ run, location })));
        summary.done.push({ run, duration_s: 0, detail: `associated existing output ${existing.join(', ')}` });
        continue;
      }
      if (mode === 'overwrite') sets.push('storage.overwrite=always');
      if (mode === 'add') sets.push(`storage.write_dir=${await nextAddDir(paths.writeDir, run, targets, options.lineageHashOf)}`);
    }
    if (!doc && !options.dryRun) await store.upsertRun({ number: run, name: formatRunId(run) });
    planned.push({ run, previous: current, sets });
  }
  return planned;
}

