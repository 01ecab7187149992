// How full the file systems of the data folders are (statfs; injectable so tests can give any figures).
import fs from 'node:fs';

export interface DiskUsage {
  dir: string;
  freeBytes: number;
  totalBytes: number;
  usedFraction: number;
}

export type StatFs = (dir: string) => Promise<{ freeBytes: number; totalBytes: number }>;

/** Free bytes for an unprivileged user (bavail) and the size of the file system holding `dir`. */
export const systemStatFs: StatFs = async (dir) => {
  const s = await fs.promises.statfs(dir);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
};

/** Usage of each folder that exists; folders that do not exist yet are left out. */
export async function diskUsage(dirs: readonly string[], statfs: StatFs = systemStatFs): Promise<DiskUsage[]> {
  const out: DiskUsage[] = [];
  for (const dir of [...new Set(dirs)]) {
    if (!fs.existsSync(dir)) continue;
    const { freeBytes, totalBytes } = await statfs(dir);
    out.push({ dir, freeBytes, totalBytes, usedFraction: totalBytes > 0 ? 1 - freeBytes / totalBytes : 0 });
  }
  return out;
}
