// Prepared trees and runs-DB states for the clean tests: strax datasets, live folders, archive blobs, a disk quota.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FilesystemTarget } from '../../src/archive/index.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { buildBlob } from '../../src/stages/migrate/blob.js';
import { formatRunId } from '../../src/util/validate.js';

export const HOST = 'eb1';
export const HOUR = 3_600_000;

export interface CleanWorld {
  config: Config;
  strax: string;
  live: string;
  quarantine: string;
  archive: FilesystemTarget;
}

export function cleanWorld(base: Config, clean: Record<string, unknown> = {}): CleanWorld {
  const work = base.work_dir;
  const strax = path.join(work, 'strax_data');
  const live = path.join(work, 'live_data');
  const archiveDir = path.join(work, 'archive');
  for (const d of [strax, live, archiveDir]) fs.mkdirSync(d, { recursive: true });
  const config = configSchema.parse({
    ...base, host: HOST, storage: { ...base.storage, dirs: [strax] }, live: { ...base.live, dir: live },
    archive: { ...base.archive, kind: 'filesystem', path: archiveDir }, clean: { ...base.clean, ...clean },
  });
  const archive = new FilesystemTarget({ root: archiveDir, fileName: config.archive.file_name, values: { folder: config.archive.folder, object: config.archive.object } });
  return { config, strax, live, quarantine: path.join(work, 'quarantine'), archive };
}

/** A folder with the given files (random bytes of the given sizes, seeded by name so runs differ). */
export function makeFolder(dir: string, files: Record<string, number>): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, size] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), randomBytes(size, path.basename(dir) + name));
  return dir;
}

function randomBytes(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  let block = crypto.createHash('sha256').update(seed).digest();
  for (let i = 0; i < size; i += block.length) {
    block.copy(out, i, 0, Math.min(block.length, size - i));
    block = crypto.createHash('sha256').update(block).digest();
  }
  return out;
}

export const dataset = (w: CleanWorld, run: number, type: string, hash: string, bytes = 4096): string =>
  makeFolder(path.join(w.strax, `${formatRunId(run)}-${type}-${hash}`), { 'metadata.json': 200, [`${type}-${hash}-000000`]: bytes });

export const liveFolder = (w: CleanWorld, run: number): string => makeFolder(path.join(w.live, formatRunId(run)), { 'reader_0_000000': 2048, 'run_record.json': 100 });

/** Archives the datasets in a blob as migrate does; returns the data entry migrate records. */
export async function archiveCopy(w: CleanWorld, run: number, folders: Array<{ type: string; dir: string }>): Promise<Record<string, unknown>> {
  const blob = await buildBlob(run, w.live, [], folders);
  const digest = await w.archive.put(run, () => blob.open(), { size: blob.size });
  return { type: 'archive', host: 'archive', location: w.archive.locate(run), protocol: 'filesystem', md5: digest.md5, size: digest.size, contents: ['run_record', ...folders.map((f) => f.type)], at: new Date() };
}

/** Every file under `dir` with the SHA-256 of its bytes, sorted: equal snapshots mean nothing changed. */
export function snapshotTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        out.push(`${path.relative(dir, p)}/`);
        walk(p);
      } else out.push(`${path.relative(dir, p)} ${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir);
  return out.sort();
}

/** Bytes of every file under `dir`. */
export function treeBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) total += fs.statSync(path.join(e.parentPath, e.name)).size;
  return total;
}

/** Makes a folder look `hours` old. */
export function age(dir: string, hours: number): void {
  const t = new Date(Date.now() - hours * HOUR);
  fs.utimesSync(dir, t, t);
}
