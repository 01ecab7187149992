// Free-space mode deletes a dataset only when another copy is proven identical: same file names, sizes and MD5s.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseTar, type ArchiveTarget } from '../../archive/index.js';
import { errorMessage } from '../../errors.js';
import type { DataEntry } from '../../rundb/index.js';
import { formatRunId } from '../../util/validate.js';

export type FileDigests = Map<string, { size: number; md5: string }>;

async function md5Of(file: string): Promise<string> {
  const hash = crypto.createHash('md5');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Size and MD5 of every regular file under `dir`, by relative path. */
export async function folderDigests(dir: string, prefix = ''): Promise<FileDigests> {
  const out: FileDigests = new Map();
  for (const e of await fs.promises.readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) for (const [k, v] of await folderDigests(full, rel)) out.set(k, v);
    else if (e.isFile()) out.set(rel, { size: (await fs.promises.stat(full)).size, md5: await md5Of(full) });
  }
  return out;
}

/** Null when both hold the same files with the same sizes and MD5s, else the first difference. */
export function compareDigests(local: FileDigests, copy: FileDigests): string | null {
  for (const [name, a] of local) {
    const b = copy.get(name);
    if (!b) return `${name} is missing from the copy`;
    if (a.size !== b.size) return `${name}: ${a.size} bytes here, ${b.size} in the copy`;
    if (a.md5 !== b.md5) return `${name}: md5 ${a.md5} here, ${b.md5} in the copy`;
  }
  for (const name of copy.keys()) if (!local.has(name)) return `${name} is only in the copy`;
  return null;
}

/** The digests of the archived copy of `folder` (by its base name) from the run's blob, or null when the blob has none. */
export async function archivedDigests(target: ArchiveTarget, run: number, folder: string): Promise<FileDigests | null> {
  const stream = await target.get(run);
  if (stream === null) return null;
  const prefix = `${formatRunId(run)}/data/${path.basename(folder)}/`;
  const hashes = new Map<string, crypto.Hash>();
  const entries = await parseTar(stream, () => false, (name, chunk) => {
    if (!name.startsWith(prefix)) return;
    let h = hashes.get(name);
    if (!h) hashes.set(name, (h = crypto.createHash('md5')));
    h.update(chunk);
  });
  const out: FileDigests = new Map();
  for (const e of entries) {
    if (!e.name.startsWith(prefix)) continue;
    out.set(e.name.slice(prefix.length), { size: e.size, md5: (hashes.get(e.name) ?? crypto.createHash('md5')).digest('hex') });
  }
  return out.size > 0 ? out : null;
}

export interface VerifiedCopy {
  /** Where the identical copy is. */
  where: string;
}

/**
 * An identical copy of the dataset at `dir`: another registered copy readable here, else the archive's. Returns the
 * copy, or the reasons none qualified.
 */
export async function findIdenticalCopy(
  dir: string, type: string, run: number, entries: readonly DataEntry[], archive: (() => ArchiveTarget | null),
): Promise<VerifiedCopy | { problems: string[] }> {
  const local = await folderDigests(dir);
  const problems: string[] = [];
  for (const e of entries) {
    if (e.type !== type || e.location === dir || !path.isAbsolute(e.location) || !fs.existsSync(e.location)) continue;
    const diff = compareDigests(local, await folderDigests(e.location));
    if (diff === null) return { where: e.location };
    problems.push(`copy ${e.location} differs (${diff})`);
  }
  const archived = entries.find((e) => e.type === 'archive' && Array.isArray(e.contents) && e.contents.map(String).includes(type));
  const target = archived ? archive() : null;
  if (archived && target) {
    try {
      const copy = await archivedDigests(target, run, dir);
      const diff = copy === null ? `the archived blob has no ${path.basename(dir)}` : compareDigests(local, copy);
      if (diff === null) return { where: archived.location };
      problems.push(`archive copy ${archived.location} differs (${diff})`);
    } catch (error) {
      problems.push(`archive copy ${archived.location} could not be read (${errorMessage(error)})`);
    }
  }
  if (problems.length === 0) problems.push('no other copy readable here and none in the archive');
  return { problems };
}
