// Where SQLite's file locking cannot be trusted: runs.sqlite on NFS, Lustre or another network file system is refused.
import fs from 'node:fs';
import path from 'node:path';

/** File-system types whose locking SQLite cannot rely on (network and cluster file systems). */
const NETWORK_FS = /^(nfs4?|lustre|cifs|smb3?|smbfs|ncpfs|afs|9p|ceph|glusterfs|gpfs|beegfs|fuse\.(sshfs|ceph|glusterfs|beegfs|s3fs|rclone|gcsfuse))$/;

/** Mount point and type of the mount holding `dir`, from the text of /proc/self/mountinfo (longest matching mount point). */
export function mountOf(mountinfo: string, dir: string): { mountPoint: string; fsType: string } | null {
  let best: { mountPoint: string; fsType: string } | null = null;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = unescapeMount(left.split(' ')[4] ?? '');
    const fsType = right.split(' ')[0] ?? '';
    const inside = dir === mountPoint || dir.startsWith(mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`);
    if (inside && (!best || mountPoint.length >= best.mountPoint.length)) best = { mountPoint, fsType };
  }
  return best;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMount(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

export function isNetworkFs(fsType: string): boolean {
  return NETWORK_FS.test(fsType);
}

/**
 * The network file system holding `file`, or null when it is local or unknown (no mountinfo, e.g. not Linux).
 * The folder must exist (the caller creates it first); symlinks are resolved.
 */
export function networkFsOf(file: string, mountinfoPath = '/proc/self/mountinfo'): { mountPoint: string; fsType: string } | null {
  let text: string;
  try {
    text = fs.readFileSync(mountinfoPath, 'utf8');
  } catch {
    return null;
  }
  const mount = mountOf(text, fs.realpathSync(path.dirname(file)));
  return mount && isNetworkFs(mount.fsType) ? mount : null;
}
