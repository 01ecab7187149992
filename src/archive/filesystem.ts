// The filesystem archive target: a mounted archive or tape staging folder; temp file, fsync, rename, MD5 sidecar.
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DaqflowError, ServiceUnavailableError, errorMessage } from '../errors.js';
import { fsyncDir, writeFileAtomicSync } from '../util/atomic-write.js';
import { safeJoin } from '../util/validate.js';
import { DigestStream } from './digest.js';
import { expandTemplate, type TemplateValues } from './naming.js';
import type { ArchiveTarget, ObjectDigest, PutOptions } from './target.js';

/** Errors that mean the mount itself is gone, not that this one object is bad. */
const UNREACHABLE = new Set(['ENOTCONN', 'ESTALE', 'EHOSTDOWN', 'EHOSTUNREACH', 'ETIMEDOUT', 'EIO']);

export interface FilesystemTargetOptions {
  root: string;
  /** Relative file name template below root, e.g. `{run}.tar` or `{folder}/{run}.tar`. */
  fileName: string;
  values: TemplateValues;
}

export class FilesystemTarget implements ArchiveTarget {
  readonly kind = 'filesystem' as const;
  constructor(private readonly options: FilesystemTargetOptions) {}

  locate(run: number): string {
    const relative = expandTemplate(this.options.fileName, run, this.options.values, 'archive.file_name', (s) => s);
    return safeJoin(this.options.root, relative, 'archive.file_name');
  }

  async probe(): Promise<void> {
    const { root } = this.options;
    try {
      if (!(await fs.promises.stat(root)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      await fs.promises.access(root, fs.constants.W_OK);
    } catch (error) {
      throw new ServiceUnavailableError(`archive folder ${root} is not usable (${errorMessage(error)}); is the archive mounted?`, {
        context: { file: root },
        cause: error,
      });
    }
  }

  async put(run: number, open: () => Readable, options: PutOptions = {}): Promise<ObjectDigest> {
    const file = this.locate(run);
    const dir = path.dirname(file);
    const base = path.basename(file);
    const tmp = path.join(dir, `.${base}.${process.pid}.${Date.now()}.tmp`);
    try {
      await fs.promises.mkdir(dir, { recursive: true });
      await removeStaleTemps(dir, base);
      const digest = new DigestStream();
      await pipeline(open(), digest, fs.createWriteStream(tmp, { flags: 'wx', mode: 0o644, highWaterMark: 1 << 20 }), { signal: options.signal });
      await fsyncFile(tmp);
      await fs.promises.rename(tmp, file);
      fsyncDir(dir);
      const result = await digest.digest();
      writeSidecar(file, result.md5);
      return result;
    } catch (error) {
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
      throw this.failure(`writing ${file}`, error, run);
    }
  }

  async recordDigest(run: number, digest: ObjectDigest): Promise<void> {
    const file = this.locate(run);
    try {
      writeSidecar(file, digest.md5);
    } catch (error) {
      throw this.failure(`writing ${file}.md5`, error, run);
    }
  }

  async get(run: number): Promise<Readable | null> {
    const file = this.locate(run);
    try {
      const handle = await fs.promises.open(file, 'r');
      return handle.createReadStream({ highWaterMark: 1 << 20 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.failure(`reading ${file}`, error, run);
    }
  }

  private failure(what: string, error: unknown, run: number): DaqflowError {
    if (error instanceof DaqflowError) return error;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const message = `archive: ${what} failed: ${errorMessage(error)}`;
    if (UNREACHABLE.has(code)) return new ServiceUnavailableError(message, { context: { run, file: this.options.root }, cause: error });
    return new DaqflowError(message, { exitCode: 1, context: { run }, cause: error });
  }
}

/**
 * `<object>.md5` in md5sum format (so `md5sum -c` works in the staging folder), written atomically after the object
 * is in place; left as it is when it already says the same.
 */
function writeSidecar(file: string, md5: string): void {
  const text = `${md5}  ${path.basename(file)}\n`;
  let current: string | undefined;
  try {
    current = fs.readFileSync(`${file}.md5`, 'utf8');
  } catch {
    current = undefined;
  }
  if (current !== text) writeFileAtomicSync(`${file}.md5`, text);
}

/** Temp files of writers that were killed mid-write (the caller holds the stage lock, so none is live). */
async function removeStaleTemps(dir: string, base: string): Promise<void> {
  const prefix = `.${base}.`;
  for (const name of await fs.promises.readdir(dir)) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) await fs.promises.rm(path.join(dir, name), { force: true });
  }
}

/** fsync applies to the file, whichever descriptor asks; the write stream has closed its own. */
async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
