// The report's sources of truth, each scanned on its own so one that is down leaves the others readable.
import fs from 'node:fs';
import path from 'node:path';
import type { ArchiveTarget } from '../archive/index.js';
import { workPaths } from '../config/resolve-paths.js';
import type { Config } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { RunsDbNotCreatedError, type RunDoc, type RunStore } from '../rundb/index.js';
import { scanSources } from '../stages/import/scan.js';
import { rechunkFolderRuns, type RechunkFolders } from '../stages/rechunk/truth.js';
import { runsWithFolders } from '../strax/storage/names.js';
import { listArchive } from './archive-list.js';
import { sortRuns } from './ranges.js';

export const SOURCE_NAMES = ['live', 'rundb', 'storage', 'archive'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

export interface SourceScan {
  name: SourceName;
  /** False when the config names no such source (e.g. no archive): not an error, nothing to report. */
  configured: boolean;
  /** Why the source could not be queried; null when it answered. */
  error: string | null;
  /** Why a source that answered has no runs, when that is worth saying (a runs DB file not created yet). */
  note?: string;
  locations: string[];
  /** Sorted run numbers the source holds. */
  runs: number[];
}

/** The live/run-record folders: import.source_dirs (the import stage's source) and the DAQ's live.dir. */
export interface LiveScan extends SourceScan {
  importRuns: number[];
}

export interface RunsDbScan extends SourceScan {
  docs: RunDoc[];
  /** The runs rundb.user_filter keeps (auto-process's view); null when no filter is configured. */
  filtered: ReadonlySet<number> | null;
}

export interface StorageScan extends SourceScan {
  /** The folders rechunk's rule reads (empty when rechunk has no separate dest_dir). */
  rechunk: RechunkFolders;
  rechunkError: string | null;
}

const failed = (name: SourceName, locations: string[], error: unknown): SourceScan => ({ name, configured: true, error: errorMessage(error), locations, runs: [] });

export async function scanLive(config: Config): Promise<LiveScan> {
  const sourceDirs = config.import.source_dirs;
  const liveDir = workPaths(config).liveDir;
  const hasLive = fs.existsSync(liveDir);
  const locations = [...sourceDirs, ...(hasLive ? [liveDir] : [])];
  if (locations.length === 0) return { name: 'live', configured: false, error: null, locations, runs: [], importRuns: [] };
  try {
    const importRuns = sourceDirs.length ? [...(await scanSources(sourceDirs, new RegExp(config.import.run_pattern))).keys()] : [];
    const liveRuns = hasLive ? [...(await scanSources([liveDir], /^\d+$/)).keys()] : [];
    return { name: 'live', configured: true, error: null, locations, runs: sortRuns([...importRuns, ...liveRuns]), importRuns: sortRuns(importRuns) };
  } catch (error) {
    return { ...failed('live', locations, error), importRuns: [] };
  }
}

/**
 * Every run document, with only the fields the report reads (the whole `data` list only when the archive is not
 * listable). A sqlite file at the default path that no pass has created yet is an empty runs DB (the report creates
 * nothing); at a path the configuration names (rundb.sqlite_path) it cannot be queried.
 */
export async function scanRunsDb(open: () => Promise<RunStore>, config: Config): Promise<RunsDbScan & { store: RunStore | null }> {
  let store: RunStore | null = null;
  try {
    store = await open();
    const withData = config.archive.kind === 'http';
    const docs = await store.listRuns({ userFilter: false, fields: withData ? ['start', 'data'] : ['start'] });
    const filtered = config.rundb.user_filter ? new Set(await store.listRunNumbers()) : null;
    return { name: 'rundb', configured: true, error: null, locations: [store.location], runs: sortRuns(docs.map((d) => d.number)), docs, filtered, store };
  } catch (error) {
    if (error instanceof RunsDbNotCreatedError) {
      // The default place (work_dir/runs.sqlite): the first pass creates it; a path the config names must exist.
      if (path.resolve(error.file) === path.join(workPaths(config).workDir, 'runs.sqlite')) {
        return { name: 'rundb', configured: true, error: null, note: `${error.file} does not exist yet (no pass has created it)`, locations: [error.file], runs: [], docs: [], filtered: null, store: null };
      }
      return { ...failed('rundb', [error.file], `rundb.sqlite_path names ${error.file}, which does not exist; check the path (\`daqflow db init\` creates an empty runs DB there)`), docs: [], filtered: null, store: null };
    }
    return { ...failed('rundb', store ? [store.location] : [], error), docs: [], filtered: null, store };
  }
}

/**
 * rechunk's folders as the stage resolves them (the source defaults to storage.write_dir), or null when rechunk works
 * in place (no separate dest_dir): then a rechunked dataset differs from its source only inside its metadata, which
 * the report does not open.
 */
export function rechunkFolders(config: Config): { source: string; dest: string } | null {
  const source = config.rechunk.source_dir ?? config.storage.write_dir;
  const dest = config.rechunk.dest_dir;
  if (!source || !dest || path.resolve(source) === path.resolve(dest)) return null;
  return { source, dest };
}

/** Run numbers of the strax folders under the storage roots (names only: no metadata is opened). */
export function scanStorage(config: Config): StorageScan {
  const { storageDirs } = workPaths(config);
  const none: RechunkFolders = { inSource: new Set(), finalInSource: new Set(), inDest: new Set() };
  const rechunk = { rechunk: none, rechunkError: null as string | null };
  try {
    const folders = rechunkFolders(config);
    if (folders) rechunk.rechunk = rechunkFolderRuns(folders.source, folders.dest);
  } catch (error) {
    rechunk.rechunkError = errorMessage(error);
  }
  try {
    const runs = new Set<number>();
    for (const dir of storageDirs) if (fs.existsSync(dir)) for (const run of runsWithFolders(dir, false)) runs.add(run);
    return { name: 'storage', configured: true, error: null, locations: storageDirs, runs: sortRuns(runs), ...rechunk };
  } catch (error) {
    return { ...failed('storage', storageDirs, error), ...rechunk };
  }
}

/**
 * The archive: a filesystem target is listed (its file_name template read backwards); an HTTP target cannot be
 * listed, so its runs are the archive entries migrate recorded in the runs DB, after a probe that it answers.
 */
export async function scanArchive(config: Config, rundb: RunsDbScan, target?: ArchiveTarget): Promise<SourceScan> {
  const a = config.archive;
  const where = a.kind === 'filesystem' ? a.path : a.url;
  if (where === null) return { name: 'archive', configured: false, error: null, locations: [], runs: [] };
  const locations = [a.kind === 'filesystem' ? where : where.replace(/\/\/[^/@]*@/, '//')];
  try {
    // Loaded only here: the HTTP target's modules are not needed by a report that has no archive.
    const t = target ?? (await import('../archive/open.js')).openArchiveTarget(config);
    await t.probe();
    if (a.kind === 'filesystem') return { name: 'archive', configured: true, error: null, locations, runs: await listArchive(a.path!, a.file_name, { folder: a.folder, object: a.object }) };
    if (rundb.error) throw new Error(`an HTTP archive is listed through the runs DB, which could not be queried`);
    const runs = rundb.docs.filter((d) => (d.data ?? []).some((e) => e.type === 'archive')).map((d) => d.number);
    return { name: 'archive', configured: true, error: null, locations, runs: sortRuns(runs) };
  } catch (error) {
    return failed('archive', locations, error);
  }
}

export const sourceLabel: Record<SourceName, string> = {
  live: 'live/run-record folders',
  rundb: 'runs DB',
  storage: 'processed storage',
  archive: 'archive',
};

export const displayPath = (p: string): string => path.normalize(p);
