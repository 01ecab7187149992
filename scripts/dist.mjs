#!/usr/bin/env node
// Build the self-contained offline distribution: dist/daqflow-<version>-linux-x64.tar.gz (compiled code,
// production dependencies with their native .node files, launchers that use the system node). Run after `npm run build`.
// Usage: node scripts/dist.mjs [--out DIR]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';

const root = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const { values: opts } = parseArgs({ options: { out: { type: 'string', default: path.join(root, 'dist') } } });

const outDir = path.resolve(opts.out);
const name = `daqflow-${pkg.version}-${process.platform}-${process.arch}`;
// Staged outside the checkout: the tarball lands next to tsc's output in dist/, and must not pack itself.
const stageRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-dist-stage-'));
const stage = path.join(stageRoot, name);
const tarball = path.join(outDir, `${name}.tar.gz`);
/** What the tarball holds from the checkout, besides node_modules. */
const COPY = ['bin', 'dist', 'docs', 'scripts/demo.mjs', 'package.json', 'package-lock.json', 'README.md', 'config.yaml.template'];
/** Native modules the CLI loads; the build fails if one has no .node file for this platform. */
const NATIVE = ['better-sqlite3', 'zstd-napi', 'lz4-napi'];
/** Build leftovers of native modules that are not needed at run time. */
const PRUNE = ['better-sqlite3/deps', 'better-sqlite3/src', 'better-sqlite3/build/Release/obj.target', 'better-sqlite3/build/Release/obj', 'better-sqlite3/build/Release/test_extension.node', 'better-sqlite3/build/Release/.deps', 'zstd-napi/deps', 'zstd-napi/build/Release/obj.target', 'zstd-napi/build/Release/.deps'];

function fail(message) {
  console.error(`dist: ${message}`);
  fs.rmSync(stageRoot, { recursive: true, force: true });
  process.exit(3);
}

const launcher = (script) => `#!/bin/sh
# daqflow launcher: runs ${script} of this folder with the system node (>= ${pkg.engines.node.replace('>=', '')}).
here=$(dirname "$(readlink -f "$0")")
if ! command -v node >/dev/null 2>&1; then
  echo "daqflow: node not found on PATH; install Node.js ${pkg.engines.node} (e.g. module load nodejs)" >&2
  exit 3
fi
exec node "$here/${script}" "$@"
`;

function nativeFiles(dir) {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.node')).map((e) => path.join(e.parentPath, e.name));
}

async function main() {
  if (!fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'))) fail('dist/cli/main.js is missing: run `npm run build` first (or `npm run dist`, which builds)');
  fs.mkdirSync(stage, { recursive: true });
  /** Earlier tarballs in dist/ are not part of the next one. */
  const notATarball = (src) => !(path.dirname(src) === path.join(root, 'dist') && /^daqflow-.*\.tar\.gz$/.test(path.basename(src)));
  for (const item of COPY) fs.cpSync(path.join(root, item), path.join(stage, item), { recursive: true, filter: notATarball });
  fs.cpSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  // Removes the dev dependencies using the lockfile only: no registry is asked.
  await execa('npm', ['prune', '--omit=dev', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: stage, stdio: 'inherit' });
  for (const p of PRUNE) fs.rmSync(path.join(stage, 'node_modules', p), { recursive: true, force: true });
  for (const mod of NATIVE) {
    const modDir = path.join(stage, 'node_modules', mod);
    if (!fs.existsSync(modDir)) fail(`${mod} is missing from node_modules: run npm ci`);
  }
  const natives = nativeFiles(path.join(stage, 'node_modules'));
  for (const mod of NATIVE) {
    if (!natives.some((f) => f.includes(`${path.sep}${mod}`))) fail(`no native .node file of ${mod} for ${process.platform}-${process.arch}: run npm ci on this platform`);
  }
  fs.writeFileSync(path.join(stage, 'daqflow'), launcher('bin/daqflow.js'), { mode: 0o755 });
  fs.writeFileSync(path.join(stage, 'straxer'), launcher('bin/straxer.js'), { mode: 0o755 });
  fs.writeFileSync(path.join(stage, 'daqflow-demo'), launcher('scripts/demo.mjs'), { mode: 0o755 });
  fs.writeFileSync(path.join(stage, 'BUILD-INFO.txt'), `${name}\nbuilt with node ${process.version}\nnative modules:\n${natives.map((f) => `  ${path.relative(stage, f)}`).join('\n')}\n`);
  fs.mkdirSync(outDir, { recursive: true });
  // Owner and times fixed, names sorted: the same tree gives the same tar.
  await execa('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-czf', tarball, '-C', stageRoot, name]);
  fs.rmSync(stageRoot, { recursive: true, force: true });
  const mb = fs.statSync(tarball).size / 1e6;
  console.log(`${tarball} (${mb.toFixed(1)} MB; ${natives.length} native modules)`);
}

try {
  await main();
} finally {
  fs.rmSync(stageRoot, { recursive: true, force: true });
}
