// Carrying out one clean decision, crash-only: the runs DB records the deletion first (deleted_data: at, by, reason), then
// the files go; a kill in between leaves a folder named in deleted_data, which the next pass finishes deleting.
import fs from 'node:fs';
import path from 'node:path';
import type { DataEntry, RunStore } from '../../rundb/index.js';
import { BY, type Candidate } from './rules.js';

export interface ActDeps {
  run: number;
  host: string;
  store: RunStore | null;
  quarantineDir: string;
}

/** Removes this host's entries at the candidate's location from the runs DB (targeted: only those entries move). */
async function forgetEntries(c: Candidate, entries: readonly DataEntry[], deps: ActDeps): Promise<void> {
  if (!deps.store) return;
  for (const type of new Set(entries.filter((e) => e.location === c.location && e.host === deps.host).map((e) => e.type))) {
    await deps.store.removeData(deps.run, { type, host: deps.host, location: c.location }, { by: `${BY} on ${deps.host}`, reason: `${c.rule}: ${c.reason}` });
  }
}

/** Moves a folder into the quarantine folder (same file system: a rename), keeping its storage folder's name in the path. */
function quarantine(location: string, quarantineDir: string): string {
  const dest = path.join(quarantineDir, path.basename(path.dirname(location)), path.basename(location));
  if (fs.existsSync(dest)) throw new Error(`${dest} already exists in the quarantine; move it away first`);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  try {
    fs.renameSync(location, dest);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EXDEV') throw new Error(`${quarantineDir} is on another file system than ${location}; set clean.quarantine_dir to a folder on the same disk`);
    throw error;
  }
  return dest;
}

/** Does what the candidate says; returns where a quarantined folder went. */
export async function act(c: Candidate, entries: readonly DataEntry[], deps: ActDeps): Promise<string | null> {
  switch (c.action) {
    case 'forget':
      await forgetEntries(c, entries, deps);
      return null;
    case 'quarantine':
      return quarantine(c.location, deps.quarantineDir);
    case 'finish':
      await fs.promises.rm(c.location, { recursive: true, force: true });
      return null;
    case 'delete':
      await forgetEntries(c, entries, deps);
      await fs.promises.rm(c.location, { recursive: true, force: true });
      return null;
  }
}
