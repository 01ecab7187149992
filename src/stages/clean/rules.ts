// The clean rules, each a pure function of one run's document, its folders on disk and the settings: what it would remove.
import fs from 'node:fs';
import path from 'node:path';
import { stageOf, type DataEntry, type RunDoc, type StageState } from '../../rundb/index.js';
import type { RunFolder } from './folders.js';

export type RuleName = 'live_done' | 'abandoned' | 'outdated_lineage' | 'missing_files' | 'unregistered' | 'free_space' | 'unfinished';

/** delete: files and entry go; forget: the entry only (files gone); quarantine: the folder is moved; finish: a deletion a killed pass began. */
export interface Candidate {
  rule: RuleName;
  action: 'delete' | 'forget' | 'quarantine' | 'finish';
  type: string;
  location: string;
  reason: string;
}

export interface RuleContext {
  host: string;
  stateField: string;
  now: Date;
  liveMinAgeH: number;
  abandonedMinAgeH: number;
  unregisteredMinAgeH: number;
  /** The lineage hash the configured processing gives each data type (types it does not produce are absent). */
  currentLineage: ReadonlyMap<string, string>;
}

/**
 * The run's processing state. The runs DB fills in a legacy state (rundb.legacy_state, e.g. bootstrax.state, marked
 * with `legacy`) while daqflow has none; bootstrax checks its output before `done`, so a legacy `done` counts as verified.
 */
function processOf(doc: RunDoc, ctx: RuleContext): { state: string; verified: boolean; since: Date | string | undefined } | null {
  const p: StageState | undefined = stageOf(doc, ctx.stateField, 'process');
  if (!p) return null;
  return { state: p.state, verified: Boolean(p.verified_at) || (typeof p.legacy === 'string' && p.state === 'done'), since: p.updated_at };
}

export const BY = 'daqflow clean';
const hoursSince = (t: Date | string | undefined, now: Date): number | null => (t === undefined ? null : (now.getTime() - new Date(t).getTime()) / 3_600_000);
const exists = (p: string): boolean => fs.existsSync(p);
/** This host's copies on a local path: the only ones clean may touch. */
const ownLocal = (e: DataEntry, host: string): boolean => e.host === host && path.isAbsolute(e.location) && e.type !== 'archive';

/** This host's copies that are on disk: entries, plus registered folders that have no entry of their own (live data). */
function ownCopies(doc: RunDoc, folders: readonly RunFolder[], host: string): Array<{ type: string; location: string }> {
  const out = new Map<string, { type: string; location: string }>();
  for (const e of doc.data ?? []) if (ownLocal(e, host) && exists(e.location)) out.set(e.location, { type: e.type, location: e.location });
  for (const f of folders) if (!out.has(f.path) && isRegistered(f, doc)) out.set(f.path, { type: f.type, location: f.path });
  return [...out.values()];
}

/** A strax folder is registered when a data entry names it; a live folder when its run is in the runs DB. */
export function isRegistered(f: RunFolder, doc: RunDoc | null): boolean {
  if (!doc) return false;
  if (f.type === 'live') return true;
  return (doc.data ?? []).some((e) => e.location === f.path);
}

/** Folders whose deletion a killed clean pass recorded in deleted_data but did not finish. */
export function unfinished(doc: RunDoc | null, folders: readonly RunFolder[]): Candidate[] {
  if (!doc) return [];
  const current = new Set((doc.data ?? []).map((e) => e.location));
  const begun = new Map((doc.deleted_data ?? []).filter((d) => typeof d.by === 'string' && d.by.startsWith(BY)).map((d) => [d.location, d]));
  return folders
    .filter((f) => begun.has(f.path) && !current.has(f.path))
    .map((f) => ({ rule: 'unfinished', action: 'finish', type: f.type, location: f.path, reason: `finishing a deletion begun by an earlier pass (${begun.get(f.path)!.reason})` }));
}

export function missingFiles(doc: RunDoc | null, ctx: RuleContext): Candidate[] {
  return (doc?.data ?? [])
    .filter((e) => ownLocal(e, ctx.host) && !exists(e.location))
    .map((e) => ({ rule: 'missing_files', action: 'forget', type: e.type, location: e.location, reason: 'its files are gone' }));
}

export function unregistered(doc: RunDoc | null, folders: readonly RunFolder[], ctx: RuleContext): Candidate[] {
  return folders
    .filter((f) => !isRegistered(f, doc) && (ctx.now.getTime() - f.mtimeMs) / 3_600_000 >= ctx.unregisteredMinAgeH)
    .map((f) => ({ rule: 'unregistered', action: 'quarantine', type: f.type, location: f.path, reason: doc ? 'no data entry names it' : 'its run is not in the runs DB' }));
}

export function liveDone(doc: RunDoc | null, folders: readonly RunFolder[], ctx: RuleContext): Candidate[] {
  if (!doc) return [];
  const p = processOf(doc, ctx);
  if (p?.state !== 'done' || !p.verified) return [];
  const age = hoursSince(doc.end, ctx.now);
  if (age === null || age < ctx.liveMinAgeH) return [];
  return ownCopies(doc, folders, ctx.host)
    .filter((c) => c.type === 'live')
    .map((c) => ({ rule: 'live_done', action: 'delete', type: 'live', location: c.location, reason: `processing done and verified; run ended ${age.toFixed(0)} h ago` }));
}

export function abandoned(doc: RunDoc | null, folders: readonly RunFolder[], ctx: RuleContext): Candidate[] {
  if (!doc) return [];
  const p = processOf(doc, ctx);
  if (p?.state !== 'abandoned') return [];
  const age = hoursSince(p.since ?? doc.end, ctx.now);
  if (age === null || age < ctx.abandonedMinAgeH) return [];
  return ownCopies(doc, folders, ctx.host).map((c) => ({ rule: 'abandoned', action: 'delete', type: c.type, location: c.location, reason: `run abandoned ${age.toFixed(0)} h ago` }));
}

export function outdatedLineage(doc: RunDoc | null, folders: readonly RunFolder[], ctx: RuleContext): Candidate[] {
  if (!doc) return [];
  const hashOf = new Map(folders.map((f) => [f.path, f.lineageHash]));
  for (const e of doc.data ?? []) if (typeof e.lineage_hash === 'string') hashOf.set(e.location, e.lineage_hash);
  return ownCopies(doc, folders, ctx.host).flatMap((c) => {
    const current = ctx.currentLineage.get(c.type);
    const hash = hashOf.get(c.location);
    if (c.type === 'live' || !current || !hash || hash === current) return [];
    return [{ rule: 'outdated_lineage' as const, action: 'delete' as const, type: c.type, location: c.location, reason: `lineage ${hash} is not the current ${current}` }];
  });
}

/** This host's datasets the free-space rule may consider, in folder order. */
export function freeSpaceCandidates(doc: RunDoc | null, folders: readonly RunFolder[], ctx: RuleContext, minAgeDays: number): Candidate[] {
  if (!doc) return [];
  const age = hoursSince(doc.end, ctx.now);
  if (age === null || age < minAgeDays * 24) return [];
  return ownCopies(doc, folders, ctx.host).map((c) => ({ rule: 'free_space', action: 'delete', type: c.type, location: c.location, reason: `freeing space; run ended ${(age / 24).toFixed(1)} days ago` }));
}
