// The operational parts of the report: jobs in flight and their age, host heartbeats (dead ones flagged), disk usage.
import fs from 'node:fs';
import type { Config } from '../config/schema.js';
import { stageOf, type HostDoc, type RunDoc } from '../rundb/index.js';
import type { Report } from './schema.js';

const IN_FLIGHT = new Set(['claimed', 'submitted', 'running']);
const MAX_JOBS_LISTED = 50;

export function jobsInFlight(docs: readonly RunDoc[], stateField: string, now: Date): Report['jobs_in_flight'] {
  const jobs: Report['jobs_in_flight']['jobs'] = [];
  for (const doc of docs) {
    const s = stageOf(doc, stateField, 'process');
    if (!s || !IN_FLIGHT.has(s.state)) continue;
    const since = s.submitted_at instanceof Date ? s.submitted_at : s.updated_at instanceof Date ? s.updated_at : null;
    jobs.push({
      run: doc.number, state: s.state, job_id: typeof s.job_id === 'string' ? s.job_id : null, scheduler: typeof s.scheduler === 'string' ? s.scheduler : null,
      host: typeof s.host === 'string' ? s.host : null, since: since?.toISOString() ?? null, age_s: since ? Math.round((now.getTime() - since.getTime()) / 1000) : null,
    });
  }
  // Oldest first: a job stuck for days is what an operator looks for.
  jobs.sort((a, b) => (b.age_s ?? -1) - (a.age_s ?? -1) || a.run - b.run);
  return { count: jobs.length, oldest_age_s: jobs[0]?.age_s ?? null, jobs: jobs.slice(0, MAX_JOBS_LISTED) };
}

export function hostsReport(hosts: readonly HostDoc[], deadAfterS: number, now: Date): Report['hosts'] {
  return hosts.map((h) => {
    const age = Math.round((now.getTime() - h.time.getTime()) / 1000);
    return {
      host: h.host, command: h.command, pid: typeof h.pid === 'number' ? h.pid : null, state: String(h.state), version: typeof h.version === 'string' ? h.version : null,
      last_seen: h.time.toISOString(), age_s: age, dead: h.state === 'dead' || age > deadAfterS,
    };
  });
}

/** One entry per file system (by device), naming every role of the folders on it; folders that do not exist are left out. */
export function diskUsage(paths: ReadonlyArray<[role: string, path: string | null]>): Report['disk'] {
  const byDevice = new Map<number, Report['disk'][number]>();
  for (const [role, p] of paths) {
    if (!p) continue;
    let dev: number;
    let s: fs.StatsFs;
    try {
      dev = fs.statSync(p).dev;
      s = fs.statfsSync(p);
    } catch {
      continue;
    }
    const seen = byDevice.get(dev);
    if (seen) {
      if (!seen.roles.includes(role)) seen.roles.push(role);
      continue;
    }
    const total = s.blocks * s.bsize;
    const free = s.bavail * s.bsize;
    byDevice.set(dev, { path: p, roles: [role], total_bytes: total, free_bytes: free, used_fraction: total > 0 ? Math.round((1 - free / total) * 1e4) / 1e4 : 0 });
  }
  return [...byDevice.values()];
}

export function diskPaths(config: Config, paths: { workDir: string; storageDirs: string[]; liveDir: string }): Array<[string, string | null]> {
  return [
    ['work_dir', paths.workDir],
    ...paths.storageDirs.map((d): [string, string] => ['storage', d]),
    ['live', paths.liveDir],
    ...config.import.source_dirs.map((d): [string, string] => ['import source', d]),
    ['archive', config.archive.kind === 'filesystem' ? config.archive.path : null],
    ['rechunk source', config.rechunk.source_dir],
    ['rechunk destination', config.rechunk.dest_dir],
  ];
}
