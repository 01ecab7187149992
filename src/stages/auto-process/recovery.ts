// auto-process, step 1 of every pass: this host's heartbeat, dead hosts, and claims a killed pass left behind.
import fs from 'node:fs';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log/index.js';
import { packageVersion } from '../../cli/package-info.js';
import { errorMessage } from '../../errors.js';
import { stageOf, type Heartbeat, type RunStore } from '../../rundb/index.js';
import { formatRunId } from '../../util/validate.js';
import { PROCESS } from './constants.js';

export const COMMAND = 'auto-process';

export interface DiskSample {
  path: string;
  used_fraction: number;
  free_bytes: number;
}

/** The write folder's disk (the nearest existing parent when the folder is not there yet). */
export function diskSample(dir: string): DiskSample {
  let at = dir;
  while (!fs.existsSync(at) && at !== '/') at = at.slice(0, Math.max(1, at.lastIndexOf('/')));
  const s = fs.statfsSync(at);
  const total = s.blocks * s.bsize;
  const free = s.bavail * s.bsize;
  return { path: dir, used_fraction: total > 0 ? 1 - free / total : 0, free_bytes: free };
}

type BeatInfo = { host: string; state: string; targets: readonly string[]; disk: DiskSample };

function heartbeatOf(info: BeatInfo, time: Date): Heartbeat {
  return {
    host: info.host, command: COMMAND, pid: process.pid, state: info.state, version: packageVersion(), targets: [...info.targets],
    disk_used_fraction: info.disk.used_fraction, disk_free_bytes: info.disk.free_bytes, time,
  };
}

/**
 * Refreshes this host's heartbeat every `auto_process.heartbeat_s` while a pass runs, so a long pass (a slow scheduler,
 * many submissions) is never taken for a dead host by the others; returns the function that stops it. A failed refresh
 * is logged and the next one tried.
 */
export function keepHeartbeat(store: RunStore, config: Config, info: BeatInfo, now: () => Date, logger: Logger): () => void {
  const timer = setInterval(() => {
    store.heartbeat(heartbeatOf(info, now())).catch((error: unknown) => logger.warn(`heartbeat refresh failed: ${errorMessage(error)}`));
  }, config.auto_process.heartbeat_s * 1000);
  timer.unref();
  return () => clearInterval(timer);
}

export interface Recovery {
  deadHosts: string[];
  released: number[];
}

/**
 * Writes this host's heartbeat and a monitor sample (unless dry), marks hosts silent for more than
 * `auto_process.dead_host_s` as dead, and puts runs back to pending that were claimed more than
 * `claim_timeout_s` ago and have no job (a pass killed between claim and submit). Each release is guarded by the
 * claim id it judged stale, so a fresh claim made meanwhile by another host is never undone.
 */
export async function recover(
  store: RunStore,
  config: Config,
  info: { host: string; state: string; targets: readonly string[]; disk: DiskSample; dryRun: boolean; now: Date; logger: Logger },
): Promise<Recovery> {
  const { auto_process: ap } = config;
  const { host, now, dryRun, logger } = info;
  if (!dryRun) {
    await store.heartbeat(heartbeatOf(info, now));
    await store.addMonitorSample({ host, command: COMMAND, time: now, disk_path: info.disk.path, disk_used_fraction: info.disk.used_fraction, disk_free_bytes: info.disk.free_bytes });
  }
  const deadHosts: string[] = [];
  for (const beat of await store.listHosts()) {
    if (beat.command !== COMMAND || beat.host === host || beat.state === 'dead') continue;
    if (now.getTime() - beat.time.getTime() <= ap.dead_host_s * 1000) continue;
    deadHosts.push(beat.host);
    logger.warn(`host ${beat.host} has been silent since ${beat.time.toISOString()}: marked dead`);
    if (!dryRun) await store.heartbeat({ ...beat, state: 'dead', time: beat.time });
  }
  const released: number[] = [];
  const claimed = await store.listRuns({ stage: PROCESS, states: ['claimed'], userFilter: false, fields: ['number'] });
  for (const doc of claimed) {
    const state = stageOf(doc, store.stateField, PROCESS);
    // A job id left from an earlier job (submit --force keeps it) does not make a stale claim live: every claim is
    // released by its age alone, and a job of a released claim refuses to start (its claim no longer owns the run).
    if (!state || typeof state.claim_id !== 'string') continue;
    const since = state.updated_at instanceof Date ? state.updated_at.getTime() : 0;
    if (now.getTime() - since <= ap.claim_timeout_s * 1000) continue;
    const reason = `released: claimed by ${state.host ?? 'an unknown host'} at ${new Date(since).toISOString()} and never submitted`;
    if (!dryRun) {
      const back = await store.updateStage(doc.number, PROCESS, { set: { state: 'pending', reason }, unset: ['claim_id'], expect: ['claimed'], expectClaimId: state.claim_id });
      if (!back) continue;
    }
    released.push(doc.number);
    logger.warn(`run ${formatRunId(doc.number)} ${reason}${dryRun ? ' (dry run: would be released)' : ''}`);
  }
  return { deadHosts, released };
}
