// import: register finished run folders in the runs DB — run record, file inventory with MD5s, live-data entry.
import crypto from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log/index.js';
import { runPass, type PassMode, type PassSummary, type RunContext, type RunOutcome, type StageWork, type SummaryHook } from '../pass/index.js';
import { openRunStore, stageOf, type RunDoc, type RunStore, type RunUpsert } from '../rundb/index.js';
import { globMatcher } from '../util/glob.js';
import { describeChanges } from './import/changes.js';
import { checkEndMarkers, endMarker, readiness } from './import/ready.js';
import { inventory, readRecordFile, RecordFileError, recordKey, runFields } from './import/records.js';
import { listFolder, scanSources, type FileStat, type RunFolder } from './import/scan.js';

export const STAGE = 'import';

export interface ImportOptions {
  config: Config;
  logger: Logger;
  /** Default: opened from the config (and closed) by the pass. */
  store?: RunStore;
  mode: PassMode;
  /** Only these runs (named on the command line). */
  runs?: readonly number[];
  dryRun?: boolean;
  concurrency?: number;
  now?: () => Date;
  hooks?: readonly SummaryHook[];
  handleSignals?: boolean;
  onSelected?: (candidates: number) => void;
  onSettled?: (summary: PassSummary) => void;
}

/**
 * One import pass (the operations manual of this stage):
 * 1. scan `import.source_dirs` for folders whose name matches `import.run_pattern`; the digits are the run number;
 * 2. select runs with the pass harness: `--incremental` above the ledger's contiguous mark plus due retries; a full
 *    pass every run whose folder changed since it was imported (or never was); `--retry-failed-import` failed runs;
 * 3. per run: wait until it is finished — an end marker (`import.end_markers`, e.g. the DAQ's THE_END), an end time
 *    in the run record, or no change for `import.settle_minutes`; until then it is skipped, not failed;
 * 4. read the run-record files (`import.record_files`): JSON and YAML parsed, FHiCL and other text verbatim; a file
 *    that cannot be read or parsed fails the run and the reason names it;
 * 5. inventory every file of the folder: name, size, MD5 (streamed);
 * 6. upsert the run document with targeted updates — `number`, `name`, `start`, `end`, `mode`, `files`,
 *    `run_record`, a `live` data entry — leaving every other field as other software wrote it; on a re-import the
 *    log says what changed;
 * 7. the harness records `daqflow.import` (state, n_failures, reason, next_retry, host, updated_at, plus the
 *    folder's fingerprint) and the ledger at once.
 */
export async function runImport(options: ImportOptions): Promise<PassSummary> {
  const { config } = options;
  const pattern = compilePattern(config.import.run_pattern);
  checkEndMarkers(config.import.end_markers);
  if (config.import.source_dirs.length === 0) {
    throw new ConfigError('import.source_dirs is empty: list the folders that hold the run folders (config key import.source_dirs)', {
      context: { option: 'import.source_dirs' },
    });
  }
  const store = options.store ?? (await openRunStore(config, { logger: options.logger }));
  try {
    return await importPass({ ...options, store }, pattern);
  } finally {
    if (!options.store) await store.close();
  }
}

async function importPass(options: ImportOptions & { store: RunStore }, pattern: RegExp): Promise<PassSummary> {
  const { config } = options;
  let folders = new Map<number, RunFolder>();
  const work: StageWork = {
    stage: STAGE,
    previewsDryRun: true,
    listSourceRuns: async () => {
      folders = await scanSources(config.import.source_dirs, pattern);
      return [...folders.keys()];
    },
    listDestinationRuns: () => unchangedSinceImport(options.store, folders),
    // A run that appears while the pass runs is not in this pass's scan; the next pass finds it.
    processRun: (run, ctx) => importRun(folders.get(run)!, options, ctx),
  };
  return runPass(work, {
    config, logger: options.logger, mode: options.mode, dryRun: options.dryRun, only: options.runs, store: options.store,
    concurrency: options.concurrency, command: 'import', now: options.now, hooks: options.hooks, handleSignals: options.handleSignals,
    onSelected: options.onSelected, onSettled: options.onSettled,
  });
}

async function importRun(folder: RunFolder, options: ImportOptions & { store: RunStore }, ctx: RunContext): Promise<RunOutcome> {
  const { config } = options;
  const nowMs = (options.now?.() ?? new Date()).getTime();
  const listing = await listFolder(folder.dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!listing) return { status: 'skipped', reason: `${folder.dir} disappeared after the scan` };
  const marker = endMarker(folder.dir, config.import.end_markers);
  const settled = readiness({ marker, newestMs: listing.newestMs, nowMs, settleMinutes: config.import.settle_minutes });
  const { records, problems } = await readRecords(listing.files, config);
  const fields = runFields(records);
  const ready = settled.ready ? settled : readiness({ recordEnd: fields.end, newestMs: listing.newestMs, nowMs, settleMinutes: config.import.settle_minutes });
  // A half-written file of a run that has not ended is not broken yet.
  if (!ready.ready) return { status: 'skipped', reason: ready.reason };
  if (problems.length) {
    // The run has ended, so it gets a document (number and name only) that its failed import state can live in.
    if (!ctx.dryRun) await options.store.upsertRun({ number: folder.run, name: path.basename(folder.dir) });
    throw new RecordFileError(problems.join('; '));
  }
  const files = await inventory(listing.files, ctx.signal);
  const runRecord = Object.fromEntries([...records].map(([name, value]) => [recordKey(name), value]));
  const stored = await options.store.getRun(folder.run);
  const changes = stored ? describeChanges(stored, runRecord, files) : [];
  const what = !stored ? 'new run' : changes.length ? `changed since the last import: ${changes.join('; ')}` : 'unchanged';
  const detail = `${files.length} files, ${records.size} record files (${ready.why}); ${what}`;
  if (ctx.dryRun) return { status: 'done', detail: `would import: ${detail}` };
  const upsert: RunUpsert = { number: folder.run, name: path.basename(folder.dir), files, run_record: runRecord };
  for (const key of ['start', 'end', 'mode'] as const) if (fields[key] !== undefined) (upsert as Record<string, unknown>)[key] = fields[key];
  await options.store.upsertRun(upsert);
  if (config.import.live_data_entry && !hasLiveEntry(stored, config.host, folder.dir)) {
    await options.store.addData(folder.run, { type: 'live', host: config.host ?? 'localhost', location: folder.dir, protocol: 'daq-live', at: new Date(nowMs) });
  }
  if (stored && changes.length) ctx.logger.info(`run record changed on re-import: ${changes.join('; ')}`);
  return { status: 'done', detail, fields: { fingerprint: fingerprint(listing.files), source: folder.dir } };
}

/** The parsed record files, and one problem line per file that could not be read or parsed. */
async function readRecords(files: readonly FileStat[], config: Config): Promise<{ records: Map<string, unknown>; problems: string[] }> {
  const isRecord = globMatcher(config.import.record_files);
  const maxBytes = config.import.max_file_mb * 1e6;
  const records = new Map<string, unknown>();
  const problems: string[] = [];
  for (const file of files) {
    if (!isRecord(file.name) || file.size > maxBytes) continue;
    try {
      records.set(file.name, await readRecordFile(file));
    } catch (error) {
      if (!(error instanceof RecordFileError)) throw error;
      problems.push(error.message);
    }
  }
  return { records, problems };
}

/** Names, sizes and mtimes of a folder's files: equal fingerprints mean nothing to re-import. */
function fingerprint(files: readonly FileStat[]): string {
  const hash = crypto.createHash('sha1');
  for (const f of files) hash.update(`${f.name}\0${f.size}\0${Math.round(f.mtimeMs)}\n`);
  return hash.digest('hex');
}

/** Full passes skip runs imported from a folder that has not changed since (re-listing is cheap; MD5s are not). */
async function unchangedSinceImport(store: RunStore, folders: ReadonlyMap<number, RunFolder>): Promise<Set<number>> {
  const unchanged = new Set<number>();
  const docs = await store.listRuns({ stage: STAGE, states: ['done'], userFilter: false });
  for (const doc of docs) {
    const state = stageOf(doc, store.stateField, STAGE);
    const folder = folders.get(doc.number);
    if (!folder || typeof state?.fingerprint !== 'string') continue;
    if (fingerprint((await listFolder(folder.dir)).files) === state.fingerprint) unchanged.add(doc.number);
  }
  return unchanged;
}

function hasLiveEntry(doc: RunDoc | null, host: string | null, dir: string): boolean {
  return (doc?.data ?? []).some((d) => d.type === 'live' && d.location === dir && d.host === (host ?? 'localhost'));
}

function compilePattern(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    throw new ConfigError(`import.run_pattern: not a valid regular expression (${(error as Error).message})`, { context: { option: 'import.run_pattern' } });
  }
}
