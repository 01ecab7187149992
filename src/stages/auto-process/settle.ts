// auto-process, step 5 per run: settle a followed run — verify a finished job's output, or count its failure.
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log/index.js';
import { workPaths } from '../../config/resolve-paths.js';
import type { RunOutcome } from '../../pass/index.js';
import type { ProcessState, RunStore, StageUpdate } from '../../rundb/index.js';
import { pidAlive } from '../../util/pid-alive.js';
import { formatRunId } from '../../util/validate.js';
import { PROCESS } from './constants.js';
import { autoRetryPolicy, failureReason, jobEnded, jobName, jobSucceeded, needsSchedulerReason, storedRef, vanished, type Followed } from './follow.js';
import { verifyTargets } from './verify.js';

export interface SettleDeps {
  config: Config;
  store: RunStore;
  host: string;
  now: () => Date;
  dryRun: boolean;
  logger: Logger;
  random?: () => number;
  /** Runs that reached max_failures are added here. */
  gaveUp: number[];
}

/** A job or its output failed; thrown so the harness counts the run as failed in this pass. */
export class JobFailedError extends Error {}

const IN_FLIGHT: readonly ProcessState[] = ['submitted', 'running'];

export async function settleFollowed(f: Followed, deps: SettleDeps): Promise<RunOutcome> {
  const s = f.state;
  // Every write is guarded by the claim that owns the run: a newer submission's state is never overwritten.
  const owner: Pick<StageUpdate, 'expectClaimId'> = typeof s.claim_id === 'string' ? { expectClaimId: s.claim_id } : {};
  const job = `job ${jobName(s)}`;
  if (s.state === 'done' || (IN_FLIGHT.includes(s.state) && jobSucceeded(f))) {
    const targets = Array.isArray(s.targets) ? s.targets.map(String) : [];
    const check = verifyTargets(workPaths(deps.config).storageDirs, f.doc, targets, deps.config.auto_process.coverage_tolerance_s, deps.host);
    if (!check.ok) return fail(f, `${job} ${s.state === 'done' ? 'recorded done' : 'completed'} but its output is incomplete: ${check.problem}`, [s.state], owner, deps);
    if (!deps.dryRun) {
      const done = await deps.store.updateStage(f.doc.number, PROCESS, {
        set: { state: 'done', reason: null, next_retry: null, verified_at: deps.now() }, expect: [s.state], ...owner,
      });
      if (!done) return changedMeanwhile(s.state);
      for (const t of check.targets) await deps.store.addData(f.doc.number, { ...t.entry, at: deps.now() });
    }
    return { status: 'done', detail: `${job}: ${targets.join(', ')} complete in storage` };
  }
  if (s.state === 'failed') {
    let reason = String(s.reason ?? 'failed');
    if (needsSchedulerReason(f)) {
      reason = `${f.status!.state}: ${reason}`;
      if (!deps.dryRun) await deps.store.updateStage(f.doc.number, PROCESS, { set: { reason, exit_code: f.status!.exitCode ?? null }, expect: ['failed'], ...owner });
    }
    const n = s.n_failures ?? 0;
    if (n >= deps.config.auto_process.max_failures) gaveUp(f.doc.number, n, deps);
    throw new JobFailedError(`${job} failed (failure ${n} of the run): ${reason}`);
  }
  if (IN_FLIGHT.includes(s.state)) {
    const gone = vanished(f, deps.now(), deps.config.auto_process.running_timeout_s);
    if (jobEnded(f) || gone) return fail(f, failureReason(f, gone), [s.state], owner, deps);
    if (!storedRef(s)) {
      // No job recorded by anyone (a straxer --job-state run outside a batch job): its process is all there is to check.
      const where = typeof s.pid === 'number' ? `pid ${s.pid} on ${String(s.host)}` : 'an unknown process';
      if (s.host === deps.host && typeof s.pid === 'number' && !pidAlive(s.pid)) {
        return fail(f, `vanished: no job was recorded for it and its process (${where}) is gone`, [s.state], owner, deps);
      }
      return { status: 'skipped', reason: `${s.state} with no job recorded (${where}); if that process is dead: daqflow runs fail ${formatRunId(f.doc.number)} --reason …` };
    }
    return { status: 'skipped', reason: `${job} is ${f.status?.state ?? `${s.state} (not known to this host's scheduler)`}` };
  }
  return { status: 'skipped', reason: `its processing state is ${s.state} now: nothing to follow` };
}

/** Record `failed` with reason, exit code, log tail, n_failures + 1 and the retry time; then fail this pass's run. */
async function fail(f: Followed, reason: string, expect: ProcessState[], owner: Pick<StageUpdate, 'expectClaimId'>, deps: SettleDeps): Promise<never> {
  const run = f.doc.number;
  const decision = autoRetryPolicy(deps.config, deps.random).afterFailure(f.state.n_failures ?? 0, deps.now());
  if (!deps.dryRun) {
    const recorded = await deps.store.updateStage(run, PROCESS, {
      set: {
        state: 'failed', reason, n_failures: decision.nFailures, next_retry: decision.nextRetry, exit_code: f.status?.exitCode ?? null,
        log_tail: f.status?.logTail ?? null, failed_at: deps.now(),
      },
      expect, ...owner,
    });
    if (!recorded) throw new JobFailedError(`${reason} (not recorded: the run changed meanwhile)`);
  }
  if (decision.gaveUp) gaveUp(run, decision.nFailures, deps);
  const next = decision.gaveUp ? 'giving up' : `next retry ${decision.nextRetry!.toISOString()}`;
  throw new JobFailedError(`${reason} (failure ${decision.nFailures}, ${next})`);
}

/** The notification event of a run the policy gave up on: an error line with `event`, and the summary's gave_up list. */
function gaveUp(run: number, nFailures: number, deps: SettleDeps): void {
  deps.gaveUp.push(run);
  deps.logger.error(`run ${formatRunId(run)} failed ${nFailures} times: giving up, left for a person (daqflow runs retry ${formatRunId(run)})`, {
    event: 'auto-process.gave-up',
  });
}

function changedMeanwhile(state: ProcessState): RunOutcome {
  return { status: 'skipped', reason: `its processing state changed from ${state} meanwhile (another pass or a newer job owns it)` };
}

