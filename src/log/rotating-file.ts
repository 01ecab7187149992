// Size-rotated log file that several processes may append to: `name`, `name.1` … `name.<maxFiles-1>`, oldest deleted.
import fs from 'node:fs';
import path from 'node:path';

export interface RotatingFileOptions {
  dir: string;
  name?: string;
  /** Rotate when a write would make the file larger than this. */
  maxBytes: number;
  /** Files kept in all, the live one included (so at most maxFiles × maxBytes on disk). */
  maxFiles: number;
}

const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 200;
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

const missing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Synchronous appends (one writeSync per line, O_APPEND). Before each write the size is checked with fstat, and the
 * file is reopened when another process rotated it away. Rotation itself happens under a small lock file, so two
 * processes never shift the numbered files at the same time; a process that finds the lock taken waits briefly for it.
 */
export class RotatingFile {
  readonly file: string;
  private readonly lockFile: string;
  private fd: number | null = null;

  constructor(private readonly options: RotatingFileOptions) {
    this.file = path.join(options.dir, options.name ?? 'daqflow.log');
    this.lockFile = path.join(options.dir, `.${options.name ?? 'daqflow.log'}.rotate-lock`);
    fs.mkdirSync(options.dir, { recursive: true });
    this.open();
  }

  private open(): number {
    this.fd = fs.openSync(this.file, 'a', 0o640);
    return this.fd;
  }

  private reopen(): number {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    return this.open();
  }

  /** The fd of the live file, reopened if another process rotated it away. */
  private current(): number {
    const fd = this.fd ?? this.open();
    const mine = fs.fstatSync(fd);
    let live: fs.Stats | undefined;
    try {
      live = fs.statSync(this.file);
    } catch (error) {
      if (!missing(error)) throw error;
    }
    return live && live.ino === mine.ino && live.dev === mine.dev ? fd : this.reopen();
  }

  write(line: string): void {
    const data = Buffer.from(line);
    let fd = this.current();
    const size = fs.fstatSync(fd).size;
    if (size > 0 && size + data.length > this.options.maxBytes) {
      this.rotate(fs.fstatSync(fd).ino, data.length);
      fd = this.current();
    }
    fs.writeSync(fd, data);
  }

  /** Shift name.N-2 → name.N-1 … name → name.1 unless someone else already did it. */
  private rotate(ino: number, incoming: number): void {
    const lock = this.acquireLock(ino);
    if (lock === null) return;
    try {
      const live = fs.statSync(this.file, { throwIfNoEntry: false });
      if (!live || live.ino !== ino || live.size + incoming <= this.options.maxBytes) return;
      const { maxFiles } = this.options;
      const numbered = (i: number) => `${this.file}.${i}`;
      tolerateMissing(() => fs.unlinkSync(maxFiles > 1 ? numbered(maxFiles - 1) : this.file));
      for (let i = maxFiles - 2; i >= 1; i--) tolerateMissing(() => fs.renameSync(numbered(i), numbered(i + 1)));
      if (maxFiles > 1) tolerateMissing(() => fs.renameSync(this.file, numbered(1)));
    } finally {
      fs.closeSync(lock);
      tolerateMissing(() => fs.unlinkSync(this.lockFile));
    }
  }

  /**
   * Take the rotation lock. While another process holds it, wait (up to ~LOCK_WAIT_MS) for it to finish; null when it
   * rotated our file already or the wait ran out (the caller then appends anyway, a line over maxBytes at worst).
   */
  private acquireLock(ino: number): number | null {
    for (let waited = 0; waited <= LOCK_WAIT_MS; waited++) {
      try {
        return fs.openSync(this.lockFile, 'wx');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return null;
      }
      if (this.breakStaleLock()) continue;
      const live = fs.statSync(this.file, { throwIfNoEntry: false });
      if (!live || live.ino !== ino) return null;
      Atomics.wait(SLEEPER, 0, 0, 1);
    }
    return null;
  }

  private breakStaleLock(): boolean {
    try {
      if (Date.now() - fs.statSync(this.lockFile).mtimeMs < LOCK_STALE_MS) return false;
      fs.unlinkSync(this.lockFile);
      return true;
    } catch (error) {
      return missing(error);
    }
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

function tolerateMissing(action: () => void): void {
  try {
    action();
  } catch (error) {
    if (!missing(error)) throw error;
  }
}
