// A small tmpfs that fills up for real (ENOSPC from the kernel, not a mock). Needs root (CI runs as root); with
// DAQFLOW_REQUIRE_TMPFS=1 (set by .ci/run) a machine that cannot mount one fails the tests instead of skipping them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { makeTmpDir } from './tmp.js';

export interface Tmpfs {
  dir: string;
  /** Change the size (remount); the files stay. */
  resize(sizeMb: number): void;
  /** Fill the remaining space with one file and return its path. */
  fill(): string;
  unmount(): void;
}

export function mountTmpfs(sizeMb: number): Tmpfs | undefined {
  const dir = makeTmpDir('daqflow-tmpfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    const why = `cannot mount a tmpfs (root needed): ${(error as Error).message.split('\n')[0]}`;
    if (process.env.DAQFLOW_REQUIRE_TMPFS === '1') throw new Error(why);
    console.warn(`disk-full tests skipped: ${why}`);
    return undefined;
  }
  return {
    dir,
    resize: (mb) => execFileSync('mount', ['-o', `remount,size=${mb}m`, dir], { stdio: 'pipe' }),
    fill: () => {
      const file = `${dir}/filler`;
      const block = Buffer.alloc(64 * 1024, 1);
      const fd = fs.openSync(file, 'a');
      try {
        for (;;) fs.writeSync(fd, block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        fs.closeSync(fd);
      }
      return file;
    },
    unmount: () => execFileSync('umount', [dir], { stdio: 'pipe' }),
  };
}
