// buildReport: every source scanned, every stage compared with its ledger, the whole status as one JSON object.
import os from 'node:os';
import type { ArchiveTarget } from '../archive/index.js';
import { workPaths } from '../config/resolve-paths.js';
import type { Config } from '../config/schema.js';
import { EXIT, errorMessage } from '../errors.js';
import type { Logger } from '../log/index.js';
import { openRunStore, type HostDoc, type RunStore } from '../rundb/index.js';
import { binsByRun, binsByTime, type Series } from './chart-data.js';
import { abbreviate, toGaps, toRanges } from './ranges.js';
import { recommend } from './recommend.js';
import { REPORT_FORMAT, type Report, type SourceReport } from './schema.js';
import { scanArchive, scanLive, scanRunsDb, scanStorage, type SourceScan } from './sources.js';
import { diskPaths, diskUsage, hostsReport, jobsInFlight } from './status-parts.js';
import { histogram, loadLedger, stageReport } from './stage-report.js';
import { REPORT_STAGES, stageTruth, type Scans, type StageTruth } from './truth.js';

export interface BuildReportOptions {
  config: Config;
  /** An open runs DB (left open); default: opened from the config and closed again. */
  store?: RunStore;
  /** The archive target; default: opened from the config. */
  archive?: ArchiveTarget;
  /** Compare every ledger with the sources (drift per stage); default false. */
  compareState?: boolean;
  /** With compareState: drift makes exit_code 1 (`--fail-on-drift`). */
  failOnDrift?: boolean;
  now?: () => Date;
  logger?: Logger;
}

function sourceReport(scan: SourceScan): SourceReport {
  const ranges = toRanges(scan.runs);
  return {
    name: scan.name, configured: scan.configured, available: scan.configured && scan.error === null, error: scan.error, note: scan.note ?? null, locations: scan.locations,
    count: scan.runs.length, min: scan.runs[0] ?? null, max: scan.runs[scan.runs.length - 1] ?? null,
    ranges: abbreviate(ranges), gaps: abbreviate(toGaps(ranges)),
  };
}

/** Every source scanned and every stage's truth: what report-status and recover-state both start from. */
export async function scanAll(options: Pick<BuildReportOptions, 'config' | 'store' | 'archive' | 'logger'>): Promise<{ scans: Scans; store: RunStore | null; close(): Promise<void> }> {
  const { config } = options;
  // mustExist: a report creates nothing, not even an empty runs DB file.
  const open = async () => options.store ?? openRunStore(config, { logger: options.logger, verifySetup: false, mustExist: true });
  const [live, rundb] = await Promise.all([scanLive(config), scanRunsDb(open, config)]);
  const storage = scanStorage(config);
  const archive = await scanArchive(config, rundb, options.archive);
  const store = rundb.store;
  return {
    scans: { live, rundb, storage, archive },
    store,
    close: async () => {
      if (!options.store && store) await store.close().catch(() => undefined);
    },
  };
}

export function truthsOf(scans: Scans, config: Config): Record<(typeof REPORT_STAGES)[number], StageTruth> {
  return Object.fromEntries(REPORT_STAGES.map((s) => [s, stageTruth(s, scans, config)])) as Record<(typeof REPORT_STAGES)[number], StageTruth>;
}

export async function buildReport(options: BuildReportOptions): Promise<Report> {
  const { config } = options;
  const now = (options.now ?? (() => new Date()))();
  const paths = workPaths(config);
  const scanned = await scanAll(options);
  try {
    const { scans, store } = scanned;
    const errors = Object.values(scans).filter((s) => s.error).map((s) => ({ source: s.name, message: s.error! }));
    let hosts: HostDoc[] = [];
    if (store && !scans.rundb.error) {
      try {
        hosts = await store.listHosts();
      } catch (error) {
        errors.push({ source: 'hosts', message: errorMessage(error) });
      }
    }
    const truths = truthsOf(scans, config);
    const compare = options.compareState ?? false;
    const stages = Object.fromEntries(
      REPORT_STAGES.map((s) => [s, stageReport(truths[s], loadLedger(paths.stateDir, truths[s].ledgerStage), scans.rundb.runs, compare, paths.stateDir, now, s === 'process' ? config.auto_process.max_failures : config.retry.max_failures)]),
    ) as Report['stages'];
    const stateField = config.rundb.state_field;
    // Only what is configured: a stage or source that cannot have runs would paint the chart red for nothing.
    const series: Series[] = [
      ...[scans.live, scans.rundb, scans.storage, scans.archive].filter((s) => s.configured).map((s) => ({ name: s.name === 'rundb' ? 'runs DB' : s.name, runs: s.runs })),
      ...REPORT_STAGES.filter((s) => truths[s].configured).map((s) => ({ name: `${s} done`, runs: truths[s].done })),
    ];
    const starts = new Map<number, number>();
    for (const d of scans.rundb.docs) if (d.start instanceof Date) starts.set(d.number, d.start.getTime());
    const inDb = new Set(scans.rundb.runs);
    const draft = {
      format: REPORT_FORMAT as typeof REPORT_FORMAT,
      generated_at: now.toISOString(),
      host: config.host ?? os.hostname(),
      compare_state: compare,
      sources: { live: sourceReport(scans.live), rundb: sourceReport(scans.rundb), storage: sourceReport(scans.storage), archive: sourceReport(scans.archive) },
      stages,
      processing_states: histogram(scans.rundb.runs.map((run) => truths.process.dbStates.get(run))),
      jobs_in_flight: jobsInFlight(scans.rundb.docs, stateField, now),
      hosts: hostsReport(hosts, config.auto_process.dead_host_s, now),
      disk: diskUsage(diskPaths(config, paths)),
      chart: { series: series.map((s) => s.name), by_run: binsByRun(series), by_time: binsByTime(series, starts) },
      errors,
      drift_found: Object.values(stages).some((s) => (s.drift?.length ?? 0) > 0),
    };
    const archiveNotInDb = scans.archive.error || scans.rundb.error ? [] : scans.archive.runs.filter((r) => !inDb.has(r));
    const recommendations = recommend(draft, { archiveNotInDb }, { diskWarn: config.report.disk_warn_fraction, jobAgeWarnS: config.scheduler.walltime_min * 60 * 2 });
    const exit_code = errors.length ? EXIT.serviceUnavailable : options.failOnDrift && draft.drift_found ? EXIT.runsFailed : EXIT.ok;
    return { ...draft, recommendations, exit_code };
  } finally {
    await scanned.close();
  }
}
