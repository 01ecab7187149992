// The per-stage lock: one live pass per stage and work dir; a dead holder's lock is taken over after the stale period.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { LockBusyError, type LockHolder } from '../errors.js';
import { writeFileAtomicSync } from '../util/atomic-write.js';

export interface StageLockOptions {
  locksDir: string;
  stage: string;
  staleMs: number;
  updateMs: number;
  command?: string;
  /** What holds such locks, for the exit-75 message: `pass` (default) or e.g. `straxer`. */
  holderKind?: string;
  /** Called when the lock is lost while held (e.g. the lock folder was removed by a person). */
  onCompromised?: (error: Error) => void;
  /** Called when a stale lock of a dead holder is taken over. */
  onTakeover?: (previous: LockHolder | undefined, ageMs: number) => void;
}

export interface StageLock {
  readonly lockPath: string;
  readonly holder: LockHolder;
  release(): Promise<void>;
}

function paths(locksDir: string, stage: string) {
  const target = path.join(locksDir, stage);
  return { target, lockPath: `${target}.lock`, holderPath: `${target}.holder.json` };
}

/** Who holds (or last held) the lock, as recorded by the holder; never modifies anything. */
export function readLockHolder(locksDir: string, stage: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(paths(locksDir, stage).holderPath, 'utf8')) as LockHolder;
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The holder writes its holder file a moment after creating the lock folder. A contender that
 * arrives in that moment waits briefly (≤ 500 ms) for the file that belongs to this lock, so it can
 * name the real holder instead of the previous one.
 */
async function currentHolder(locksDir: string, stage: string, lockPath: string): Promise<LockHolder | undefined> {
  const deadline = Date.now() + 500;
  for (;;) {
    const holder = readLockHolder(locksDir, stage);
    let born = 0;
    try {
      born = fs.statSync(lockPath).birthtimeMs;
    } catch {
      return holder;
    }
    if (holder && (born === 0 || Date.parse(holder.since) >= Math.floor(born) - 1000)) return holder;
    if (Date.now() > deadline) return holder;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function lockAgeMs(lockPath: string): number | undefined {
  try {
    return Date.now() - fs.statSync(lockPath).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Take the stage lock or throw LockBusyError at once. A contender only reads the lock folder's
 * mtime and the holder file: it never truncates, touches or removes a live holder's lock.
 */
export async function acquireStageLock(options: StageLockOptions): Promise<StageLock> {
  fs.mkdirSync(options.locksDir, { recursive: true });
  const { target, lockPath, holderPath } = paths(options.locksDir, options.stage);
  const previous = readLockHolder(options.locksDir, options.stage);
  const ageBefore = lockAgeMs(lockPath);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, {
      realpath: false,
      lockfilePath: lockPath,
      stale: options.staleMs,
      update: options.updateMs,
      retries: 0,
      onCompromised: (error) => options.onCompromised?.(error),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new LockBusyError(options.stage, await currentHolder(options.locksDir, options.stage, lockPath), lockPath, options.holderKind);
    }
    throw error;
  }
  if (ageBefore !== undefined && ageBefore >= options.staleMs) options.onTakeover?.(previous, ageBefore);
  const holder: LockHolder = {
    host: os.hostname(),
    pid: process.pid,
    since: new Date(Math.max(Date.now(), Math.ceil(fs.statSync(lockPath).birthtimeMs))).toISOString(),
    command: options.command,
  };
  writeFileAtomicSync(holderPath, JSON.stringify(holder, null, 2) + '\n');
  let released = false;
  return {
    lockPath,
    holder,
    async release() {
      if (released) return;
      released = true;
      try {
        await release();
      } catch (error) {
        // A compromised lock has already been released or taken over; nothing left to undo.
        if ((error as NodeJS.ErrnoException).code !== 'ERELEASED') throw error;
      }
    },
  };
}
