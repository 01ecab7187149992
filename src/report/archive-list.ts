// A filesystem archive's run numbers, from its file names: archive.file_name read backwards ({run}, {number}, {folder}, {object}).
import fs from 'node:fs';
import path from 'node:path';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One regular expression per path segment of the template; the run number is the capture of {run} or {number}. */
function segmentPatterns(template: string, values: { folder: string; object: string }): RegExp[] {
  return template.split('/').filter((s) => s !== '' && s !== '.').map((segment) => {
    let source = '';
    let rest = segment;
    for (const m of segment.matchAll(/\{([a-z]+)\}/g)) {
      const before = rest.slice(0, rest.indexOf(m[0]));
      rest = rest.slice(before.length + m[0].length);
      source += escape(before);
      const name = m[1];
      source += name === 'run' ? '(\\d{6,})' : name === 'number' ? '(\\d+)' : escape(name === 'folder' ? values.folder : name === 'object' ? values.object : '');
    }
    return new RegExp(`^${source}${escape(rest)}$`);
  });
}

/** Sorted run numbers of the objects below `root` whose path matches the template. */
export async function listArchive(root: string, template: string, values: { folder: string; object: string }): Promise<number[]> {
  const patterns = segmentPatterns(template, values);
  const runs = new Set<number>();
  const walk = async (dir: string, depth: number, run: number | undefined): Promise<void> => {
    const pattern = patterns[depth]!;
    const last = depth === patterns.length - 1;
    for (const entry of await fs.promises.readdir(dir, { withFileTypes: true })) {
      const m = pattern.exec(entry.name);
      if (!m) continue;
      const found = m[1] !== undefined ? Number(m[1]) : run;
      if (last) {
        if (entry.isFile() && found !== undefined && Number.isSafeInteger(found)) runs.add(found);
      } else if (entry.isDirectory()) {
        await walk(path.join(dir, entry.name), depth + 1, found);
      }
    }
  };
  if (patterns.length) await walk(root, 0, undefined);
  return [...runs].sort((a, b) => a - b);
}
