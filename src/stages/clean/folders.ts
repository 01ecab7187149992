// The run folders on this host's disks: strax datasets (<run>-<type>-<hash>) in the storage folders, live data (<run>) in the live folder.
import fs from 'node:fs';
import path from 'node:path';

export interface RunFolder {
  run: number;
  /** 'live' for a live-data folder, else the strax data type. */
  type: string;
  lineageHash: string | null;
  path: string;
  mtimeMs: number;
}

const STRAX = /^(\d{1,9})-([A-Za-z_][A-Za-z0-9_]*)-([a-z0-9]{1,64})$/;
const LIVE = /^\d{1,9}$/;

function listDirs(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

const mtimeOf = (p: string): number => fs.statSync(p).mtimeMs;

/** Every run folder by run number; `_temp` folders (being written) and anything not named like a run are left out. */
export function scanRunFolders(storageDirs: readonly string[], liveDir: string): Map<number, RunFolder[]> {
  const byRun = new Map<number, RunFolder[]>();
  const add = (f: RunFolder) => byRun.set(f.run, [...(byRun.get(f.run) ?? []), f]);
  for (const root of [...new Set(storageDirs)]) {
    for (const e of listDirs(root)) {
      const m = STRAX.exec(e.name);
      if (m) add({ run: Number(m[1]), type: m[2]!, lineageHash: m[3]!, path: path.join(root, e.name), mtimeMs: mtimeOf(path.join(root, e.name)) });
    }
  }
  for (const e of listDirs(liveDir)) {
    if (LIVE.test(e.name)) add({ run: Number(e.name), type: 'live', lineageHash: null, path: path.join(liveDir, e.name), mtimeMs: mtimeOf(path.join(liveDir, e.name)) });
  }
  return byRun;
}

/** Bytes of the regular files under `dir` (recursively); 0 when it is gone. */
export function folderBytes(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += folderBytes(p);
    else if (e.isFile()) total += fs.statSync(p).size;
  }
  return total;
}
