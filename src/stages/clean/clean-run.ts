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
  const cleaner = new RunCleaner(run, doc, deps);
  for (const c of candidates(doc, folders, deps)) if (!cleaner.handled.has(c.location)) await cleaner.apply(c);
  const clean = deps.config.clean;
  if (clean.rules.free_space && clean.min_free_space_gb > 0) await cleaner.freeSpace(rules.freeSpaceCandidates(doc, folders, deps.rules, clean.min_age_days));
  return cleaner.outcome();
}

/** One run's clean: what is left of its entries (for the guard), what was handled, what was done. */
class RunCleaner {
  readonly handled = new Set<string>();
  private readonly entries: DataEntry[];
  private readonly done: CleanAction[] = [];

  constructor(private readonly run: number, doc: RunDoc | null, private readonly deps: CleanRunDeps) {
    this.entries = [...(doc?.data ?? [])];
  }

  async apply(c: rules.Candidate): Promise<void> {
    const { deps } = this;
    this.handled.add(c.location);
    if (c.action === 'delete') {
      const guard = lastCopyGuard(this.entries, c.type, c.location, deps.copies);
      if (guard) return this.record(c, 'kept', guard, 0);
    }
    const bytes = c.action === 'forget' ? 0 : folderBytes(c.location);
    const to = deps.dryRun ? null : await act(c, this.entries, { run: this.run, host: deps.host, store: deps.store, quarantineDir: deps.quarantineDir });
    if (deps.dryRun && c.action !== 'forget') deps.plannedFree.set(c.location, bytes);
    // Later guards of this run count only what is left.
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]!.location === c.location && this.entries[i]!.host === deps.host) this.entries.splice(i, 1);
    this.record(c, c.action, c.reason, bytes, to ?? undefined);
  }

  /** Oldest data first while the disk is below the target; each copy only with an identical copy elsewhere. */
  async freeSpace(candidates: readonly rules.Candidate[]): Promise<void> {
    for (const c of candidates) {
      if (this.handled.has(c.location)) continue;
      if (!(await needsSpace(c.location, this.deps))) return;
      const guard = lastCopyGuard(this.entries, c.type, c.location, this.deps.copies);
      if (guard) {
        this.record(c, 'kept', guard, 0);
        continue;
      }
      const copy = await findIdenticalCopy(c.location, c.type, this.run, this.entries, this.deps.archive);
      if ('problems' in copy) this.record(c, 'kept', `no identical copy: ${copy.problems.join('; ')}`, 0);
      else await this.apply({ ...c, reason: `${c.reason}; identical copy at ${copy.where}` });
    }
  }

  outcome(): RunOutcome {
    if (this.done.length === 0) return { status: 'skipped', reason: 'nothing to clean' };
    const counts = new Map<string, number>();
    for (const a of this.done) counts.set(a.action, (counts.get(a.action) ?? 0) + 1);
    const what = [...counts].map(([a, n]) => `${n} ${a}`).join(', ');
    return { status: 'done', detail: `${this.deps.dryRun ? 'would ' : ''}${what}: ${this.done.map((a) => `${a.rule} ${path.basename(a.location)}`).join(', ')}` };
  }

  private record(c: rules.Candidate, action: CleanAction['action'], reason: string, bytes: number, to?: string): void {
    const a: CleanAction = { run: this.run, rule: c.rule, action, type: c.type, location: c.location, reason, bytes, ...(to ? { quarantined_to: to } : {}) };
    this.deps.actions.push(a);
    if (action !== 'kept') this.done.push(a);
    const verb = action === 'kept' ? 'kept' : this.deps.dryRun ? `would ${action}` : PAST[action];
    this.deps.logger[action === 'kept' ? 'debug' : 'info'](`run ${formatRunId(this.run)}: ${verb} ${c.type} ${c.location} (${c.rule}: ${reason})`);
  }
}

/**
 * Is the file system of `location` still below clean.min_free_space_gb? A dry run adds what it would have freed so far
 * (on any of the data folders: an estimate when they are on different disks).
 */
async function needsSpace(location: string, deps: CleanRunDeps): Promise<boolean> {
  const { freeBytes } = await deps.statfs(path.dirname(location));
  let planned = 0;
  for (const b of deps.plannedFree.values()) planned += b;
  return freeBytes + planned < deps.config.clean.min_free_space_gb * 1e9;
}
