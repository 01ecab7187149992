// import, step 1: which run folders the source folders hold, and what is in one (every file, with size and mtime).
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, ServiceUnavailableError } from '../../errors.js';

export interface RunFolder {
  run: number;
  dir: string;
}

/** Run folders of every source folder whose name matches the pattern (its first digits are the run number); a run found twice is an error naming both folders. */
export async function scanSources(sourceDirs: readonly string[], pattern: RegExp): Promise<Map<number, RunFolder>> {
  const found = new Map<number, RunFolder>();
  for (const source of sourceDirs) {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(source, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      const context = { option: 'import.source_dirs', file: source };
      // A missing or forbidden folder is a configuration matter; anything else (EIO, ESTALE …) is a mount that is down.
      if (['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM'].includes(code)) {
        throw new ConfigError(`import.source_dirs: cannot read ${source} (${code}); check the path and its permissions`, { context });
      }
      throw new ServiceUnavailableError(`import.source_dirs: cannot read ${source} (${code}); is its file system mounted and reachable?`, { context });
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || !pattern.test(entry.name)) continue;
      const digits = /\d+/.exec(entry.name);
      if (!digits) continue;
      const run = Number(digits[0]);
      if (!Number.isSafeInteger(run)) continue;
      const dir = path.join(source, entry.name);
      const previous = found.get(run);
      if (previous) {
        throw new ConfigError(`run ${run} has two folders: ${previous.dir} and ${dir}; keep one (daqflow will not guess which is the run)`, {
          context: { run, file: dir },
        });
      }
      found.set(run, { run, dir });
    }
  }
  return found;
}

export interface FileStat {
  /** Relative to the run folder, `/`-separated. */
  name: string;
  abs: string;
  size: number;
  mtimeMs: number;
}

export interface FolderListing {
  files: FileStat[];
  /** The latest change of any file or folder inside, in ms. */
  newestMs: number;
}

/** Every regular file below a run folder, sorted by name; `*_temp` staging folders and symlinks are left out. */
export async function listFolder(dir: string): Promise<FolderListing> {
  const listing: FolderListing = { files: [], newestMs: (await fs.promises.stat(dir)).mtimeMs };
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.promises.readdir(path.join(dir, rel), { withFileTypes: true });
    for (const entry of entries) {
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      const abs = path.join(dir, name);
      if (entry.isDirectory()) {
        listing.newestMs = Math.max(listing.newestMs, (await fs.promises.stat(abs)).mtimeMs);
        // The DAQ's `*_temp` staging folders: files are renamed out of them when complete, the folders stay behind.
        if (!entry.name.endsWith('_temp')) await walk(name);
      } else if (entry.isFile()) {
        const st = await fs.promises.stat(abs);
        listing.newestMs = Math.max(listing.newestMs, st.mtimeMs);
        listing.files.push({ name, abs, size: st.size, mtimeMs: st.mtimeMs });
      }
    }
  };
  await walk('');
  listing.files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return listing;
}
