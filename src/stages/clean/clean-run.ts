// One run of a clean pass: apply the switched-on rules in order, hold every deletion to the last-copy guard, then free space.
import path from 'node:path';
import type { ArchiveTarget } from '../../archive/index.js';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log/index.js';
import type { RunOutcome } from '../../pass/index.js';
import type { DataEntry, RunDoc, RunStore } from '../../rundb/index.js';
import type { StatFs } from '../../notify/index.js';
import { formatRunId } from '../../util/validate.js';
import { act } from './act.js';
import { lastCopyGuard, type CopyContext } from './copies.js';
import { folderBytes, type RunFolder } from './folders.js';
import * as rules from './rules.js';
import { findIdenticalCopy } from './verify-copy.js';

export interface CleanAction {
  run: number;
  rule: rules.RuleName;
  /** What happened (or, in a dry run, would happen); `kept` when the guard or a copy check said no. */
  action: rules.Candidate['action'] | 'kept';
  type: string;
  location: string;
  reason: string;
  bytes: number;
  quarantined_to?: string;
}

const PAST = { delete: 'deleted', forget: 'forgot', quarantine: 'quarantined', finish: 'finished deleting' } as const;

export interface CleanRunDeps {
  config: Config;
  logger: Logger;
  store: RunStore | null;
  host: string;
  dryRun: boolean;
  rules: rules.RuleContext;
  copies: CopyContext;
  quarantineDir: string;
  statfs: StatFs;
  archive: () => ArchiveTarget | null;
  /** Every action of the pass, for the --json summary. */
  actions: CleanAction[];
  /** Bytes a dry run would have freed per folder, so free-space mode can tell when it would stop. */
  plannedFree: Map<string, number>;
}

function candidates(doc: RunDoc | null, folders: readonly RunFolder[], deps: CleanRunDeps): rules.Candidate[] {
  const on = deps.config.clean.rules;
  const ctx = deps.rules;
  return [
    ...rules.unfinished(doc, folders),
    ...(on.missing_files ? rules.missingFiles(doc, ctx) : []),
    ...(on.unregistered ? rules.unregistered(doc, folders, ctx) : []),
    ...(on.live_done ? rules.liveDone(doc, folders, ctx) : []),
    ...(on.abandoned ? rules.abandoned(doc, folders, ctx) : []),
    ...(on.outdated_lineage ? rules.outdatedLineage(doc, folders, ctx) : []),
  ];
}

export async function cleanRun(run: number, doc: RunDoc | null, folders: readonly RunFolder[], deps: CleanRunDeps): Promise<RunOutcome> {
  const entries: DataEntry[] = [...(doc?.data ?? [])];
  const done: CleanAction[] = [];
  const handled = new Set<string>();
  const record = (c: rules.Candidate, action: CleanAction['action'], reason: string, bytes: number, to?: string) => {
    const a: CleanAction = { run, rule: c.rule, action, type: c.type, location: c.location, reason, bytes, ...(to ? { quarantined_to: to } : {}) };
    deps.actions.push(a);
    if (action !== 'kept') done.push(a);
    const verb = action === 'kept' ? 'kept' : deps.dryRun ? `would ${action}` : PAST[action];
    deps.logger[action === 'kept' ? 'debug' : 'info'](`run ${formatRunId(run)}: ${verb} ${c.type} ${c.location} (${c.rule}: ${reason})`);
  };
  const apply = async (c: rules.Candidate): Promise<void> => {
    handled.add(c.location);
    if (c.action === 'delete') {
      const guard = lastCopyGuard(entries, c.type, c.location, deps.copies);
      if (guard) return record(c, 'kept', guard, 0);
    }
    const bytes = c.action === 'forget' ? 0 : folderBytes(c.location);
    const to = deps.dryRun ? undefined : ((await act(c, entries, { run, host: deps.host, store: deps.store, quarantineDir: deps.quarantineDir })) ?? undefined);
    if (deps.dryRun && c.action !== 'forget') deps.plannedFree.set(c.location, bytes);
    // Later guards of this run count only what is left.
    for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.location === c.location && entries[i]!.host === deps.host) entries.splice(i, 1);
    record(c, c.action, c.reason, bytes, to);
  };
  for (const c of candidates(doc, folders, deps)) if (!handled.has(c.location)) await apply(c);
  const clean = deps.config.clean;
  if (clean.rules.free_space && clean.min_free_space_gb > 0) {
    for (const c of rules.freeSpaceCandidates(doc, folders, deps.rules, clean.min_age_days)) {
      if (handled.has(c.location)) continue;
      if (!(await needsSpace(c.location, deps))) break;
      const guard = lastCopyGuard(entries, c.type, c.location, deps.copies);
      if (guard) {
        record(c, 'kept', guard, 0);
        continue;
      }
      const copy = await findIdenticalCopy(c.location, c.type, run, entries, deps.archive);
      if ('problems' in copy) {
        record(c, 'kept', `no identical copy: ${copy.problems.join('; ')}`, 0);
        continue;
      }
      await apply({ ...c, reason: `${c.reason}; identical copy at ${copy.where}` });
    }
  }
  if (done.length === 0) return { status: 'skipped', reason: 'nothing to clean' };
  const counts = new Map<string, number>();
  for (const a of done) counts.set(a.action, (counts.get(a.action) ?? 0) + 1);
  const what = [...counts].map(([a, n]) => `${n} ${a}`).join(', ');
  return { status: 'done', detail: `${deps.dryRun ? 'would ' : ''}${what}: ${done.map((a) => `${a.rule} ${path.basename(a.location)}`).join(', ')}` };
}

/** Is the file system of `location` still below clean.min_free_space_gb (counting what this dry run would have freed)? */
async function needsSpace(location: string, deps: CleanRunDeps): Promise<boolean> {
  const { freeBytes } = await deps.statfs(path.dirname(location));
  let planned = 0;
  for (const b of deps.plannedFree.values()) planned += b;
  return freeBytes + planned < deps.config.clean.min_free_space_gb * 1e9;
}
