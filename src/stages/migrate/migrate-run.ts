// Migrating one run: build its blob, upload unless the archive already holds it, verify by reading back, return the archive copy.
import type { ArchiveTarget } from '../../archive/index.js';
import { digestOf } from '../../archive/index.js';
import { DaqflowError } from '../../errors.js';
import { formatRunId } from '../../util/validate.js';
import { buildBlob, type DataFolder } from './blob.js';
import { readBack } from './read-back.js';
import { checkAgainstInventory } from './sources.js';

export interface MigrateRunInput {
  run: number;
  target: ArchiveTarget;
  recordDir: string;
  recordFiles: readonly string[];
  /** The import inventory (name, md5) the record files must still match. */
  inventory?: ReadonlyArray<{ name: string; md5?: string }>;
  data: readonly DataFolder[];
  /** Replace an existing object whose content differs (never done without it). */
  overwrite: boolean;
  /** With --validate: run-record keys the archived blob must hold (may be empty: header and hashes are still checked). */
  requiredKeys: readonly string[] | null;
  /** Check the archive and build the blob, but upload nothing (the result's copy describes the local blob). */
  dryRun?: boolean;
  signal?: AbortSignal;
  now?: () => Date;
}

/** The verified copy in the archive, as recorded in the runs DB. */
export interface ArchiveCopy {
  location: string;
  md5: string;
  size: number;
  at: Date;
}

export type MigrateAction = 'uploaded' | 'already-archived' | 'overwritten' | 'would-upload' | 'would-overwrite';

export interface MigrateRunResult {
  copy: ArchiveCopy;
  action: MigrateAction;
}

const failure = (run: number, location: string, message: string): DaqflowError =>
  new DaqflowError(`run ${formatRunId(run)}: ${message} (${location})`, { exitCode: 1, context: { run, url: location } });

export async function migrateRun(input: MigrateRunInput): Promise<MigrateRunResult> {
  const { run, target, signal } = input;
  const location = target.locate(run);
  const blob = await buildBlob(run, input.recordDir, input.recordFiles, input.data);
  if (input.inventory) checkAgainstInventory(run, input.inventory, blob.header.record_files);
  const options = { signal, requiredKeys: input.requiredKeys };

  let action: MigrateAction = 'uploaded';
  const existing = await readBack(target, run, options);
  if (existing !== null) {
    const local = await digestOf(blob.open(), signal);
    if (existing.md5 === local.md5 && existing.size === local.size) {
      const result = finish(input, location, existing, 'already-archived');
      // A put killed after placing the object may have left the target's own checksum record unwritten.
      if (!input.dryRun) await target.recordDigest?.(run, existing);
      return result;
    }
    if (!input.overwrite) {
      throw failure(run, location, `the archive holds a different object: archive md5 ${existing.md5} (${existing.size} bytes), this blob md5 ${local.md5} (${local.size} bytes); not overwritten — check both, then pass --overwrite to replace it`);
    }
    action = 'overwritten';
  }
  if (input.dryRun) {
    const local = await digestOf(blob.open(), signal);
    return { copy: { location, ...local, at: (input.now ?? (() => new Date()))() }, action: action === 'overwritten' ? 'would-overwrite' : 'would-upload' };
  }
  const sent = await target.put(run, blob.open, { size: blob.size, signal });
  const back = await readBack(target, run, options);
  if (back === null) throw failure(run, location, `read-back found no object after a successful upload of md5 ${sent.md5}`);
  if (back.md5 !== sent.md5 || back.size !== sent.size) {
    throw failure(run, location, `read-back differs from the upload: sent md5 ${sent.md5} (${sent.size} bytes), archive returned md5 ${back.md5} (${back.size} bytes)`);
  }
  return finish(input, location, back, action);
}

function finish(input: MigrateRunInput, location: string, verified: { md5: string; size: number; problems: string[] | null }, action: MigrateAction): MigrateRunResult {
  if (verified.problems && verified.problems.length > 0) {
    throw failure(input.run, location, `the archived blob failed validation: ${verified.problems.join('; ')}`);
  }
  return { copy: { location, md5: verified.md5, size: verified.size, at: (input.now ?? (() => new Date()))() }, action };
}
