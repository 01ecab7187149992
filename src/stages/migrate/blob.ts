// The deterministic archive blob of a run: a header, the run-record files in name order, then chosen strax folders; one ustar stream.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { tarSize, tarStream, type TarEntry } from '../../archive/index.js';
import { DaqflowError } from '../../errors.js';
import { formatRunId, safeJoin } from '../../util/validate.js';

export const BLOB_FORMAT = 'daqflow-archive/1';
export const HEADER_NAME = 'daqflow-archive.json';

export interface RecordFile {
  name: string;
  size: number;
  md5: string;
}

/** The first entry of every blob: which run, and what the rest holds. */
export interface BlobHeader {
  format: typeof BLOB_FORMAT;
  run: number;
  name: string;
  /** MD5 of the run-record files' bytes concatenated in the order listed. */
  content_md5: string;
  record_files: RecordFile[];
  data: Array<{ type: string; folder: string; files: Array<{ name: string; size: number }> }>;
}

export interface DataFolder {
  type: string;
  /** A strax folder, e.g. /data/012100-event_info-abcdefghij. */
  dir: string;
}

export interface Blob {
  header: BlobHeader;
  /** Exact size of the tar in bytes. */
  size: number;
  /** A fresh stream of the whole blob (call once per upload attempt). */
  open(): Readable;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** MD5 and size of a file; `also` sees the same bytes (the content hash of all record files). */
async function md5File(file: string, also: crypto.Hash): Promise<{ md5: string; size: number }> {
  const hash = crypto.createHash('md5');
  let size = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    also.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { md5: hash.digest('hex'), size };
}

/** Regular files directly in `dir`, by name; anything else (folders, links) is an error naming it. */
async function listFiles(dir: string, what: string): Promise<Array<{ name: string; size: number }>> {
  const out: Array<{ name: string; size: number }> = [];
  for (const name of (await fs.promises.readdir(dir)).sort(byName)) {
    const stat = await fs.promises.lstat(path.join(dir, name));
    if (!stat.isFile()) throw new DaqflowError(`${what} ${dir}: ${name} is not a regular file; only plain files are archived`);
    out.push({ name, size: stat.size });
  }
  return out;
}

const fileEntry = (name: string, file: string, size: number): TarEntry => ({
  name,
  size,
  open: () => fs.createReadStream(file, { highWaterMark: 1 << 20 }),
});

/**
 * Build the blob of `run` from the run-record files `recordNames` in `recordDir` (in name order) and the
 * strax folders of `data` (by type, then folder). Record files are hashed now (they are small); data files
 * are only listed, and streamed when the blob is read. Nothing is held in memory but the listing.
 */
export async function buildBlob(run: number, recordDir: string, recordNames: readonly string[], data: readonly DataFolder[]): Promise<Blob> {
  const name = formatRunId(run);
  const records: RecordFile[] = [];
  const content = crypto.createHash('md5');
  for (const file of [...new Set(recordNames)].sort(byName)) {
    const full = safeJoin(recordDir, file, 'run record file');
    const { md5, size } = await md5File(full, content).catch((error: NodeJS.ErrnoException) => {
      throw new DaqflowError(`run ${name}: cannot read run-record file ${full} (${error.code ?? error.message})`, { exitCode: 1, context: { run, file: full } });
    });
    records.push({ name: file, size, md5 });
  }
  const folders = [];
  for (const entry of [...data].sort((a, b) => byName(a.type, b.type) || byName(a.dir, b.dir))) {
    folders.push({ type: entry.type, folder: path.basename(entry.dir), dir: entry.dir, files: await listFiles(entry.dir, `data folder of ${entry.type}`) });
  }
  const header: BlobHeader = {
    format: BLOB_FORMAT,
    run,
    name,
    content_md5: content.digest('hex'),
    record_files: records,
    data: folders.map((f) => ({ type: f.type, folder: f.folder, files: f.files })),
  };
  const headerBytes = Buffer.from(JSON.stringify(header, null, 2) + '\n');
  const entries: TarEntry[] = [
    { name: `${name}/${HEADER_NAME}`, size: headerBytes.length, open: () => [headerBytes] },
    ...records.map((r) => fileEntry(`${name}/record/${r.name}`, safeJoin(recordDir, r.name), r.size)),
    ...folders.flatMap((f) => f.files.map((file) => fileEntry(`${name}/data/${f.folder}/${file.name}`, path.join(f.dir, file.name), file.size))),
  ];
  return { header, size: tarSize(entries.map((e) => e.size)), open: () => tarStream(entries) };
}
