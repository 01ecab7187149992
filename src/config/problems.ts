// How a configuration problem is written: `<file>: <dotted.path>: <message>`.
export type KeyPath = readonly (string | number)[];

export interface Problem {
  path: KeyPath;
  message: string;
}

/** `storage.dirs[1]`, `auto_process.degrade[0].after_failures`. */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${key}` : key;
  }
  return out;
}

export function formatProblem(label: string, path: KeyPath | string, message: string): string {
  const dotted = typeof path === 'string' ? path : formatPath(path);
  return dotted ? `${label}: ${dotted}: ${message}` : `${label}: ${message}`;
}

/** True when `path` is `prefix` or lies below it. */
export function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}
