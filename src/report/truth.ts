// Per stage, what the sources say: which runs exist in its source, which are done at its destination, its runs-DB states.
import type { Config } from '../config/schema.js';
import { stageOf, type StageState } from '../rundb/index.js';
import { processTruth } from '../stages/auto-process/truth.js';
import { rechunkTruth } from '../stages/rechunk/truth.js';
import { sortRuns } from './ranges.js';
import { rechunkFolders, type LiveScan, type RunsDbScan, type SourceName, type SourceScan, type StorageScan } from './sources.js';

export const REPORT_STAGES = ['import', 'migrate', 'process', 'rechunk'] as const;
export type ReportStage = (typeof REPORT_STAGES)[number];

/** The ledger file (state/<name>.json) and runs-DB sub-document of each stage; `process` is run by auto-process. */
export const LEDGER_OF: Record<ReportStage, string> = { import: 'import', migrate: 'migrate', process: 'auto_process', rechunk: 'rechunk' };
const DB_STAGE_OF: Record<ReportStage, (typeof DB_STAGES)[number]> = { import: 'import', migrate: 'migrate', process: 'process', rechunk: 'rechunk' };

export interface Scans {
  live: LiveScan;
  rundb: RunsDbScan;
  storage: StorageScan;
  archive: SourceScan;
}

export interface StageTruth {
  stage: ReportStage;
  ledgerStage: string;
  /** What the stage reads and where its result lands, for the report's wording. */
  source: string;
  destination: string;
  configured: boolean;
  /** Why the truth is unknown (a source it needs could not be queried); null when it is known. */
  error: string | null;
  sourceRuns: number[];
  done: Set<number>;
  /** `<state_field>.<stage>` of each run that has one. */
  dbStates: Map<number, StageState>;
  /**
   * Whether a missing ledger is drift. auto-process takes its work from the runs DB and its ledger only records, so a
   * process ledger that was never written is not; once written, its mark is held to the sources like every other.
   */
  ledgerRequired: boolean;
}

const DB_STAGES = ['import', 'migrate', 'process', 'rechunk'] as const;
const statesCache = new WeakMap<RunsDbScan, Record<string, Map<number, StageState>>>();

/** `<state_field>.<stage>` by run, for every stage at once: one walk over the documents per scan. */
function dbStates(rundb: RunsDbScan, stateField: string, stage: (typeof DB_STAGES)[number]): Map<number, StageState> {
  let all = statesCache.get(rundb);
  if (!all) {
    all = Object.fromEntries(DB_STAGES.map((s) => [s, new Map<number, StageState>()]));
    for (const doc of rundb.docs) {
      for (const s of DB_STAGES) {
        const state = stageOf(doc, stateField, s);
        if (state) all[s]!.set(doc.number, state);
      }
    }
    statesCache.set(rundb, all);
  }
  return all[stage]!;
}

const doneIn = (states: Map<number, StageState>): number[] => [...states].filter(([, s]) => s.state === 'done').map(([run]) => run);

function unavailable(scans: Scans, needs: readonly SourceName[]): string | null {
  for (const name of needs) if (scans[name].error) return `the ${name} source could not be queried: ${scans[name].error}`;
  return null;
}

export function stageTruth(stage: ReportStage, scans: Scans, config: Config): StageTruth {
  const field = config.rundb.state_field;
  const states = dbStates(scans.rundb, field, DB_STAGE_OF[stage]);
  const base = { stage, ledgerStage: LEDGER_OF[stage], dbStates: states, ledgerRequired: stage !== 'process' };
  switch (stage) {
    case 'import':
      return {
        ...base, source: 'import.source_dirs', destination: 'runs DB', configured: config.import.source_dirs.length > 0,
        error: unavailable(scans, ['live', 'rundb']), sourceRuns: scans.live.importRuns, done: new Set(doneIn(states)),
      };
    case 'migrate': {
      const imported = doneIn(dbStates(scans.rundb, field, 'import'));
      // The archive is the truth when it can be listed; without one configured, the runs DB's word is all there is.
      const done = scans.archive.configured ? scans.archive.runs : doneIn(states);
      return {
        ...base, source: 'runs DB (import done)', destination: 'archive', configured: scans.archive.configured,
        error: unavailable(scans, ['rundb', 'archive']), sourceRuns: sortRuns(imported), done: new Set(done),
      };
    }
    case 'process': {
      const { sourceRuns, doneRuns } = processTruth(scans.rundb.runs.map((run) => [run, states.get(run)?.state] as const), scans.rundb.filtered);
      return {
        ...base, source: 'runs DB', destination: 'processed storage (runs DB process state)', configured: true,
        error: unavailable(scans, ['rundb']), sourceRuns, done: new Set(doneRuns),
      };
    }
    case 'rechunk': {
      const { sourceRuns, doneRuns } = rechunkTruth(scans.storage.rechunk, config.rechunk.keep_source);
      return {
        ...base, source: 'rechunk.source_dir', destination: 'rechunk.dest_dir', configured: rechunkFolders(config) !== null,
        error: scans.storage.rechunkError, sourceRuns: sortRuns(sourceRuns), done: new Set(doneRuns),
      };
    }
  }
}
