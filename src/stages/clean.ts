// `clean` (ajax, AlphaKraken's remover): delete only what is provably safe to delete, record every deletion in the runs DB.
import os from 'node:os';
import { openArchiveTarget, type ArchiveTarget } from '../archive/index.js';
import { workPaths } from '../config/resolve-paths.js';
import type { Config } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/index.js';
import { systemStatFs, type StatFs } from '../notify/index.js';
import { runPass, type PassMode, type PassSummary, type SummaryHook } from '../pass/index.js';
import { openRunStore, type RunStore } from '../rundb/index.js';
import { cleanRun, type CleanAction, type CleanRunDeps } from './clean/clean-run.js';
import { rawMatcher } from './clean/copies.js';
import { currentLineageHashes } from './clean/current-lineage.js';
import { scanRunFolders, type RunFolder } from './clean/folders.js';

export const STAGE = 'clean';

export type { CleanAction } from './clean/clean-run.js';

export interface CleanOptions {
  config: Config;
  logger: Logger;
  mode?: PassMode;
  runs?: readonly number[];
  /** Default true: `daqflow clean` acts only with --execute. */
  dryRun?: boolean;
  store?: RunStore;
  archive?: ArchiveTarget | null;
  /** Free space of a folder's file system; tests give a quota. */
  statfs?: StatFs;
  /** The current lineage hash per data type; default: from the configured processing. */
  currentLineage?: ReadonlyMap<string, string> | null;
  now?: () => Date;
  hooks?: readonly SummaryHook[];
  handleSignals?: boolean;
  onSelected?: (candidates: number) => void;
  onSettled?: (summary: PassSummary) => void;
}

export interface CleanSummary extends PassSummary {
  clean: { actions: CleanAction[]; freed_bytes: number; quarantined: number; kept: number };
}

/**
 * One clean pass over every run in the runs DB or on disk, oldest first (one run at a time, so free-space mode stops
 * as soon as the target is met): unfinished deletions, missing files, unregistered folders, live data, abandoned runs,
 * outdated lineage, then free space. A dry run (the default) changes nothing and reports what would happen.
 */
export async function runClean(options: CleanOptions): Promise<CleanSummary> {
  const { config, logger } = options;
  const dryRun = options.dryRun ?? true;
  const now = options.now ?? (() => new Date());
  const host = config.host ?? os.hostname();
  const paths = workPaths(config);
  const store = options.store ?? (await openRunStore(config, { logger }));
  try {
    const currentLineage = options.currentLineage !== undefined ? options.currentLineage : await lineageOrNull(config, logger);
    let archive: ArchiveTarget | null | undefined = options.archive;
    const deps: CleanRunDeps = {
      config, logger, store: dryRun ? null : store, host, dryRun,
      rules: {
        host, stateField: store.stateField, now: now(), liveMinAgeH: config.clean.live_min_age_hours, abandonedMinAgeH: config.clean.abandoned_min_age_hours,
        unregisteredMinAgeH: config.clean.unregistered_min_age_hours, currentLineage: currentLineage ?? new Map()
      },
      copies: { host, isRaw: rawMatcher(config.clean.raw_types), minRawCopies: config.clean.min_raw_copies },
      quarantineDir: paths.quarantineDir,
      statfs: options.statfs ?? systemStatFs,
      archive: () => (archive === undefined ? (archive = openArchiveOrNull(config, logger)) : archive),
      actions: [], plannedFree: new Map(),
    };
    // Only the fields the rules read (the store adds its state field and rundb.legacy_state's): XENONnT run documents
    // carry megabytes of DAQ configuration.
    const ruleFields = ['name', 'end', 'data', 'deleted_data'];
    let folders = new Map<number, RunFolder[]>();
    const summary = await runPass(
      {
        stage: STAGE,
        previewsDryRun: true,
        listSourceRuns: async () => {
          folders = scanRunFolders(paths.storageDirs, paths.liveDir);
          const inDb = await store.listRunNumbers({ userFilter: false });
          return [...inDb, ...folders.keys()];
        },
        processRun: async (run) => cleanRun(run, await store.getRun(run, { fields: ruleFields }), folders.get(run) ?? [], deps),
      },
      {
        config, logger, mode: options.mode ?? 'full', dryRun, only: options.runs, concurrency: 1, command: 'clean', store: null, now,
        hooks: options.hooks, handleSignals: options.handleSignals, onSelected: options.onSelected, onSettled: options.onSettled,
      },
    );
    const a = deps.actions;
    return Object.assign(summary, {
      clean: {
        actions: a,
        freed_bytes: a.filter((x) => x.action === 'delete' || x.action === 'finish').reduce((s, x) => s + x.bytes, 0),
        quarantined: a.filter((x) => x.action === 'quarantine').length,
        kept: a.filter((x) => x.action === 'kept').length,
      },
    });
  } finally {
    if (!options.store) await store.close();
  }
}

async function lineageOrNull(config: Config, logger: Logger): Promise<Map<string, string> | null> {
  try {
    const hashes = await currentLineageHashes(config);
    if (hashes === null) logger.info('clean: processing runs an external command, so the current lineage is unknown; outdated_lineage removes nothing');
    return hashes;
  } catch (error) {
    logger.warn(`clean: cannot compute the current lineage (${errorMessage(error)}); outdated_lineage removes nothing`);
    return null;
  }
}

function openArchiveOrNull(config: Config, logger: Logger): ArchiveTarget | null {
  if (config.archive.kind === 'filesystem' && !config.archive.path) return null;
  try {
    return openArchiveTarget(config);
  } catch (error) {
    logger.warn(`clean: the archive cannot be opened (${errorMessage(error)}); free-space mode counts only local copies`);
    return null;
  }
}
