// Where a run's target already exists complete in the storage dirs (for output_exists_mode).
import { DataNotAvailableError } from '../../errors.js';
import { DataDirectory } from '../../strax/index.js';
import { formatRunId } from '../../util/validate.js';

/** Gives the lineage hash the configured plugins would produce for a target, when the engine can tell. */
export type LineageHashOf = (run: number, target: string) => Promise<string | undefined>;

export async function existingOutput(
  storageDirs: readonly string[],
  run: number,
  target: string,
  lineageHashOf?: LineageHashOf,
): Promise<string | null> {
  const hash = await lineageHashOf?.(run, target);
  for (const root of storageDirs) {
    try {
      return new DataDirectory(root).find(formatRunId(run), target, hash).path;
    } catch (error) {
      if (!(error instanceof DataNotAvailableError)) throw error;
    }
  }
  return null;
}

/** For output_exists_mode `add`: the first `<write_dir>.run<k>` (k ≥ 2) that holds none of the targets. */
export async function nextAddDir(writeDir: string, run: number, targets: readonly string[], lineageHashOf?: LineageHashOf): Promise<string> {
  for (let k = 2; ; k++) {
    const dir = `${writeDir}.run${k}`;
    const found = await Promise.all(targets.map((t) => existingOutput([dir], run, t, lineageHashOf)));
    if (found.every((f) => f === null)) return dir;
  }
}
