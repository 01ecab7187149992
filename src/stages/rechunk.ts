// rechunk: restrax for strax data — merge small chunks, recompress, verify, swap into production, update the runs DB.
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { errorMessage } from '../errors.js';
import { runPass, type PassOptions, type PassSummary, type RunContext, type RunOutcome, type StageWork } from '../pass/index.js';
import { openRunStore, type RunStore } from '../rundb/index.js';
import { InlineExecutor, WorkerExecutor, type Executor } from '../strax/engine/executor.js';
import type { StoredDataset } from '../strax/storage/dataset.js';
import { inspectDatasetIfAny, rawRateMbS, runDatasets, runDocRateMbS, sourceRuns, staleWriting } from './rechunk/datasets.js';
import { processingInFlight } from './rechunk/in-flight.js';
import { IN_PLACE_MARK, isRechunkedInPlace, parkedRuns, repair, swapInPlace, type InPlace } from './rechunk/in-place.js';
import { pickRule, type Rule } from './rechunk/rules.js';
import { rechunkSettings, type RechunkSettings } from './rechunk/settings.js';
import { register, removeSource } from './rechunk/swap.js';
import { compareShallow } from './rechunk/verify.js';
import { rechunkFolderRuns, rechunkTruth } from './rechunk/truth.js';
import { writeCopy } from './rechunk/write.js';

export const STAGE = 'rechunk';

/** The pass harness's options (config, logger, mode, dry run, concurrency, hooks …), plus rechunk's own. */
export interface RechunkOptions extends Omit<PassOptions, 'store' | 'only' | 'command' | 'random'> {
  /** Default: opened from the config (and closed) by the pass. */
  store?: RunStore;
  /** Only these runs (named on the command line, or --process). */
  runs?: readonly number[];
  /** --bypass: move the data without rechunking. */
  bypass?: boolean;
  /** --deep-compare: compare every byte even when rechunk.deep_compare is false. */
  deepCompare?: boolean;
}

interface Pass extends RechunkOptions {
  store: RunStore;
  settings: RechunkSettings;
  executor: Executor;
  host: string;
}

/**
 * One rechunk pass (the operations manual of this stage, docs/RECHUNK.md):
 * 1. settings: the config's `rechunk` block, overridden by the runs DB's `rechunk` document, then --bypass/--deep-compare;
 * 2. runs: every run with a data folder in `rechunk.source_dir`; with keep_source, full passes skip runs whose every
 *    complete source dataset already has a complete copy in `rechunk.dest_dir`; --incremental goes by the ledger;
 * 3. per run, `max_workers` data types at a time, per data type: pick the rule (rules.ts); write the new copy in the
 *    destination's `_temp` folder (strax's rechunk rule, `max_threads` chunks compressed at a time; or a plain copy);
 *    verify it against the source (rows, bytes, time coverage, continuity, files; deep: every decompressed byte);
 *    rename it into place; move the runs DB entry to it; remove the source (unless `keep_source`);
 * 4. a data type that fails leaves its source untouched and fails the run (naming it); the others go on.
 * A run interrupted anywhere is finished by the next pass: a complete copy is re-checked and the swap completed.
 */
export async function runRechunk(options: RechunkOptions): Promise<PassSummary> {
  const store = options.store ?? (await openRunStore(options.config, { logger: options.logger }));
  let executor: Executor | undefined;
  try {
    const settings = await rechunkSettings(options.config, store, { bypass: options.bypass, deepCompare: options.deepCompare });
    if (settings.overridden.length) options.logger.info(`rechunk settings overridden: ${settings.overridden.join(', ')}`);
    executor = settings.max_threads > 1 ? new WorkerExecutor(settings.max_threads, []) : new InlineExecutor(new Map(), []);
    const host = options.config.host ?? os.hostname();
    return await rechunkPass({ ...options, store, settings, executor, host });
  } finally {
    await executor?.close();
    if (!options.store) await store.close();
  }
}

function rechunkPass(o: Pass): Promise<PassSummary> {
  const { settings } = o;
  const work: StageWork = {
    stage: STAGE,
    previewsDryRun: true,
    // In place, a run whose only dataset is mid-swap has no folder in the source: its parked old copy lists it.
    listSourceRuns: async () => [...sourceRuns(settings.source_dir), ...(settings.in_place ? parkedRuns(settings.dest_dir) : [])],
    // Without keep_source a source dataset next to its complete copy is a swap a crash interrupted: never skipped.
    // In place, a run with an old copy still parked (its removal was interrupted) is not done: its pass removes it.
    listDestinationRuns: async () => {
      const parked = new Set(settings.in_place ? parkedRuns(settings.dest_dir) : []);
      return new Set(settings.keep_source || settings.in_place ? sourceRuns(settings.source_dir).filter((run) => allCopied(o, run) && !parked.has(run)) : []);
    },
    processRun: (run, ctx) => rechunkRun(run, o, ctx),
    truth: rechunkTruthOf(settings),
  };
  const { runs, bypass: _bypass, deepCompare: _deep, settings: _settings, executor: _executor, host: _host, ...pass } = o;
  return runPass(work, { ...pass, only: runs, command: STAGE });
}

/**
 * Without keep_source (and not in place) the folders say which runs moved: the rule the report applies too. Otherwise
 * the done marks come from listDestinationRuns, which opens the metadata.
 */
export function rechunkTruthOf(settings: RechunkSettings): StageWork['truth'] {
  if (settings.in_place || settings.keep_source) return undefined;
  return async () => rechunkTruth(rechunkFolderRuns(settings.source_dir, settings.dest_dir), false);
}

/** Every complete source dataset of the run has a complete copy (with keep_source), or was rechunked in place: the run is done. */
function allCopied(o: Pass, run: number): boolean {
  const complete = runDatasets(o.settings.source_dir, run).filter((d) => d.state === 'complete');
  const copied = (d: StoredDataset) => (o.settings.in_place ? isRechunkedInPlace(d) : copyOf(o, d)?.state === 'complete');
  return complete.length > 0 && complete.every(copied);
}

function inPlaceOf(o: Pass): InPlace {
  return { sourceDir: o.settings.source_dir, staging: o.settings.dest_dir, store: o.store, host: o.host };
}

function copyOf(o: Pass, src: StoredDataset): StoredDataset | undefined {
  return inspectDatasetIfAny(path.join(o.settings.dest_dir, src.folderName));
}

async function rechunkRun(run: number, o: Pass, ctx: RunContext): Promise<RunOutcome> {
  if (o.settings.in_place && !ctx.dryRun) for (const line of await repair(inPlaceOf(o), run)) ctx.logger.warn(line);
  const doc = await o.store.getRun(run);
  const busy = processingInFlight(o.config, run, doc, o.store.stateField);
  if (busy) return { status: 'skipped', reason: busy };
  const found = runDatasets(o.settings.source_dir, run);
  const now = Date.now();
  const stale = found.filter((d) => staleWriting(d, o.settings.stale_writing_h, now));
  const writing = found.filter((d) => d.state === 'writing' && !stale.includes(d));
  if (writing.length) return { status: 'skipped', reason: `${writing.map((d) => d.folderName).join(', ')} still being written` };
  // A dead writer's leftovers are reported and left where they are (not ours to remove); the rest of the run goes on.
  for (const d of stale) ctx.logger.warn(`${path.basename(d.path)}: unchanged for more than ${o.settings.stale_writing_h} h (rechunk.stale_writing_h): its writer died; left in place, not rechunked — remove it once you know whose it is`);
  const all = found.filter((d) => !stale.includes(d));
  const recorded = runDocRateMbS(doc);
  const facts = { rateMbS: recorded ?? rawRateMbS(all, o.settings.raw_types), failedBefore: ctx.attempt > 1 };
  const limit = pLimit(o.settings.max_workers);
  const results = await Promise.all(all.map((src) => limit(() => oneDataset(src, o, ctx, pickRule(o.settings, src.dataType, facts, o.settings.bypass)).then(
    (line) => ({ src, line, error: undefined as unknown }),
    (error: unknown) => ({ src, line: '', error }),
  ))));
  for (const r of results) if (r.line) ctx.logger.info(`${r.src.folderName}: ${r.line}`);
  const failed = results.filter((r) => r.error !== undefined);
  for (const f of failed) ctx.logger.error(`${f.src.folderName}: ${errorMessage(f.error)}`);
  if (failed.length) {
    throw new Error(`${failed.length} of ${results.length} data types failed (their sources are kept): ${failed.map((f) => `${f.src.dataType}: ${errorMessage(f.error)}`).join('; ')}`);
  }
  const done = results.filter((r) => !r.line.startsWith('ignored'));
  const leftovers = stale.length ? `; ${stale.length} stale unfinished dataset(s) left in place: ${stale.map((d) => path.basename(d.path)).join(', ')}` : '';
  if (done.length === 0) return { status: 'skipped', reason: `no complete dataset to rechunk${leftovers}` };
  return { status: 'done', detail: `${ctx.dryRun ? 'would rechunk ' : ''}${done.length} data types to ${o.settings.dest_dir}${leftovers}` };
}

/** One data type: write + verify + rename (unless a complete copy is there), register, remove the source. Returns a log line. */
async function oneDataset(src: StoredDataset, o: Pass, ctx: RunContext, rule: Rule): Promise<string> {
  const what = rule.action === 'copy' ? `copy (${rule.why})` : `${rule.compressor}, ${rule.targetMb} MB chunks (${rule.why})`;
  if (o.settings.in_place) {
    if (src.state !== 'complete') return `ignored: ${src.state}${src.reason ? ` (${src.reason})` : ''}`;
    if (isRechunkedInPlace(src)) return 'ignored: already rechunked in place';
    if (rule.action === 'copy') return `ignored: ${what} — nothing to do in place`;
  }
  const existing = copyOf(o, src);
  const copied = existing?.state === 'complete' ? existing : undefined;
  if (src.state !== 'complete' && !o.settings.in_place) {
    // A source whose removal was interrupted (the copy is complete), or data that is not ours to judge.
    if (!copied) return `ignored: ${src.state}${src.reason ? ` (${src.reason})` : ''}`;
    if (ctx.dryRun) return `would finish the swap to ${copied.path}`;
    await register({ store: o.store, run: Number(src.runId), host: o.host }, { type: src.dataType, location: src.path }, copied);
    await removeSource(src);
    return `finished an interrupted swap to ${copied.path}`;
  }
  if (ctx.dryRun) return `would ${copied ? 'swap to the existing copy' : 'write'} ${what}`;
  let copy: StoredDataset;
  if (copied) {
    const problems = compareShallow(src.metadata!, copied.metadata!, copied.path);
    if (problems.length) throw new Error(`${copied.path} exists and does not match the source: ${problems.join('; ')}; remove it or the source`);
    copy = copied;
  } else {
    const mark = o.settings.in_place ? { [IN_PLACE_MARK]: { at: new Date().toISOString(), host: o.host } } : undefined;
    copy = await writeCopy(src, { destRoot: o.settings.dest_dir, rule, deepCompare: o.settings.deep_compare, executor: o.executor, threads: o.settings.max_threads, signal: ctx.signal, mark });
  }
  if (o.settings.in_place) {
    const outcome = await swapInPlace(inPlaceOf(o), src, copy);
    const md = copy.metadata!;
    return `${what}, in place: ${src.metadata!.chunks.length} → ${md.chunks.length} chunks, ${(src.sizeOnDisk / 1e6).toFixed(1)} → ${(copy.sizeOnDisk / 1e6).toFixed(1)} MB; runs DB entry ${outcome}`;
  }
  const registered = await register({ store: o.store, run: Number(src.runId), host: o.host }, { type: src.dataType, location: src.path }, copy);
  if (!o.settings.keep_source) await removeSource(src);
  const md = copy.metadata!;
  return `${what}: ${src.metadata!.chunks.length} → ${md.chunks.length} chunks, ${(src.sizeOnDisk / 1e6).toFixed(1)} → ${(copy.sizeOnDisk / 1e6).toFixed(1)} MB; ${registered === 'no run' ? 'run not in the runs DB' : `runs DB entry ${registered}`}${o.settings.keep_source ? '; source kept' : ''}`;
}
