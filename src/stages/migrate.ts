// migrate: archive each imported run's record (and chosen processed data) as one blob, verified by an MD5 round trip, recorded in the runs DB.
import { openArchiveTarget, type ArchiveTarget } from '../archive/index.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/index.js';
import { runPass, type PassMode, type PassSummary, type RunContext, type RunOutcome, type SummaryHook, type TruthRuns } from '../pass/index.js';
import { openRunStore, type RunStore } from '../rundb/index.js';
import { BLOB_FORMAT } from './migrate/blob.js';
import { migrateRun, type MigrateRunResult } from './migrate/migrate-run.js';
import { dataFoldersOf, recordDirOf, recordFilesOf } from './migrate/sources.js';

export const STAGE = 'migrate';
/** The data entry type of an archive copy (host ARCHIVE_HOST); no strax data type has this name. */
export const ARCHIVE_ENTRY_TYPE = 'archive';
export const ARCHIVE_HOST = 'archive';

export interface MigrateOptions {
  config: Config;
  logger: Logger;
  /** incremental (above the ledger's mark + due retries), full (every imported run not yet archived), retry-failed. */
  mode: PassMode;
  /** Only these runs. */
  runs?: readonly number[];
  dryRun?: boolean;
  /** Replace an archived object whose content differs from this run's blob. */
  overwrite?: boolean;
  /** Parse the read-back blob and check migrate.required_keys. */
  validate?: boolean;
  store?: RunStore;
  target?: ArchiveTarget;
  hooks?: readonly SummaryHook[];
  handleSignals?: boolean;
  now?: () => Date;
  concurrency?: number;
  onSelected?: (candidates: number) => void;
  onSettled?: (summary: PassSummary) => void;
}

/**
 * One migrate pass. The source is the runs whose import is done; per run: build the blob, upload it unless
 * the archive already holds the same bytes, read it back and compare MD5s, then record the copy
 * (`data` entry of type `archive`: location, md5, size, at) before the harness marks the run done. An
 * unreachable archive stops the pass with exit 4 and records nothing.
 */
export async function runMigrate(options: MigrateOptions): Promise<PassSummary> {
  const { config, logger } = options;
  const target = options.target ?? openArchiveTarget(config);
  const store = options.store ?? (await openRunStore(config, { logger }));
  try {
    await target.probe();
    // The runs DB says it all, read once a pass: import done = the source, migrate done = archived. The mark is taken
    // from it too: a run whose import finished after higher runs were archived (an import retried, or runs imported
    // out of order) is below the mark yet not archived, and is taken again.
    const doneRuns = (stage: string): Promise<number[]> => store.listRunNumbers({ stage, states: ['done'] });
    let read: Promise<TruthRuns> | undefined;
    const truth = (): Promise<TruthRuns> => (read ??= Promise.all([doneRuns('import'), doneRuns(STAGE)]).then(([sourceRuns, done]) => ({ sourceRuns, doneRuns: done })));
    return await runPass(
      {
        stage: STAGE,
        listSourceRuns: async () => (await truth()).sourceRuns,
        listDestinationRuns: async () => new Set((await truth()).doneRuns),
        truth,
        previewsDryRun: true,
        processRun: (run, context) => migrateOne(run, context, options, target, store),
      },
      {
        config, logger, mode: options.mode, dryRun: options.dryRun, only: options.runs, store, command: 'migrate',
        hooks: options.hooks, handleSignals: options.handleSignals, now: options.now,
        concurrency: options.concurrency, onSelected: options.onSelected, onSettled: options.onSettled,
      },
    );
  } finally {
    if (!options.store) await store.close();
  }
}

async function migrateOne(run: number, context: RunContext, options: MigrateOptions, target: ArchiveTarget, store: RunStore): Promise<RunOutcome> {
  const { config } = options;
  const doc = await store.getRun(run);
  if (!doc) return { status: 'skipped', reason: 'not in the runs DB' };
  const inventory = recordFilesOf(doc, config);
  const data = dataFoldersOf(doc, config);
  const result = await migrateRun({
    run,
    target,
    recordDir: recordDirOf(doc, config),
    recordFiles: inventory.map((f) => f.name),
    inventory,
    data,
    overwrite: options.overwrite ?? false,
    requiredKeys: options.validate ? config.migrate.required_keys : null,
    dryRun: context.dryRun,
    signal: context.signal,
    now: options.now,
  });
  if (!context.dryRun) {
    // Recorded before the harness marks the run done: a kill in between leaves a copy entry and an undone
    // run, which the next pass finds identical in the archive and records again (same entry, replaced).
    await store.addData(run, {
      type: ARCHIVE_ENTRY_TYPE,
      host: ARCHIVE_HOST,
      location: result.copy.location,
      protocol: target.kind,
      format: BLOB_FORMAT,
      md5: result.copy.md5,
      size: result.copy.size,
      contents: ['run_record', ...data.map((d) => d.type)],
      at: result.copy.at,
    });
  }
  return { status: 'done', detail: describe(result) };
}

function describe({ action, copy }: MigrateRunResult): string {
  const what = { uploaded: 'uploaded', overwritten: 'overwrote the different object', 'already-archived': 'already archived (identical)', 'would-upload': 'would upload', 'would-overwrite': 'would overwrite the different object' }[action];
  return `${what}: ${copy.location} md5 ${copy.md5} (${copy.size} bytes)`;
}
