// Which runs are rechunk's work and which are done, judged from folder names alone: one rule for the stage and the report.
import type { TruthRuns } from '../../pass/index.js';
import { runsWithFolders } from '../../strax/storage/names.js';

/** What the rule reads: run numbers with a strax folder in rechunk's source (any, or final only) and destination (final). */
export interface RechunkFolders {
  inSource: ReadonlySet<number>;
  finalInSource: ReadonlySet<number>;
  inDest: ReadonlySet<number>;
}

export function rechunkFolderRuns(sourceDir: string, destDir: string): RechunkFolders {
  return { inSource: runsWithFolders(sourceDir, true), finalInSource: runsWithFolders(sourceDir, false), inDest: runsWithFolders(destDir, false) };
}

/**
 * Without keep_source a run is done when its data left the source for the destination: a run with final data in the
 * source again (processed anew after it was rechunked) is work once more. A `_temp` folder in the source is work (a
 * write under way or left by a crash) but not data, so it does not undo a done run. With keep_source the copy alone
 * says done (the stage itself then also opens the metadata: see rechunk.ts).
 */
export function rechunkTruth(folders: RechunkFolders, keepSource: boolean): TruthRuns {
  const doneRuns = [...folders.inDest].filter((run) => keepSource || !folders.finalInSource.has(run));
  return { sourceRuns: [...new Set([...folders.inSource, ...doneRuns])], doneRuns };
}
