// Where daqflow is installed, its version, and the versions and install paths of its key dependencies.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json), from dist/cli/ or src/cli/. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const KEY_DEPENDENCIES = [
  'yargs', 'zod', 'yaml', 'mongodb', 'better-sqlite3', 'proper-lockfile', 'execa', 'p-limit',
  'nodemailer', '@slack/webhook', 'cli-progress', 'zstd-napi', 'lz4-napi', 'numcodecs', 'bzip2-wasm', 'mingo',
] as const;

export function packageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Find a dependency's package.json the way Node resolves bare imports: node_modules of each ancestor. */
export function dependencyInfo(name: string): { name: string; version: string | null; path: string | null } {
  for (let dir = PACKAGE_ROOT; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name, 'package.json');
    if (fs.existsSync(candidate)) {
      const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { version?: string };
      return { name, version: pkg.version ?? null, path: path.dirname(candidate) };
    }
    if (path.dirname(dir) === dir) return { name, version: null, path: null };
  }
}

export interface VersionReport {
  daqflow: { version: string; path: string };
  node: { version: string; path: string };
  platform: string;
  dependencies: { name: string; version: string | null; path: string | null }[];
}

export function versionReport(): VersionReport {
  return {
    daqflow: { version: packageVersion(), path: PACKAGE_ROOT },
    node: { version: process.versions.node, path: process.execPath },
    platform: `${process.platform}-${process.arch}`,
    dependencies: KEY_DEPENDENCIES.map(dependencyInfo),
  };
}

export function formatVersionReport(report: VersionReport): string {
  const rows: [string, string, string][] = [
    ['daqflow', report.daqflow.version, report.daqflow.path],
    ['node', report.node.version, report.node.path],
    ...report.dependencies.map((d): [string, string, string] => [d.name, d.version ?? 'not installed', d.path ?? '-']),
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return [
    `daqflow ${report.daqflow.version} on ${report.platform}`,
    ...rows.map(([n, v, p]) => `  ${n.padEnd(w0)}  ${v.padEnd(w1)}  ${p}`),
  ].join('\n');
}
