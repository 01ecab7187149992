// The offline distribution: `scripts/dist.mjs` builds the tarball; unpacked into an empty folder and run in a network
// namespace with no network, with no npm on PATH and nothing of the repository reachable, it runs --help and the demo.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../support/tmp.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
const name = `daqflow-${version}-${process.platform}-${process.arch}`;

/** The argv prefix that runs a command without network: `unshare -n` as root, `unshare -rn` as a user; null if neither works. */
async function noNetworkPrefix(): Promise<string[] | null> {
  for (const prefix of [['unshare', '-n'], ['unshare', '-rn']]) {
    const r = await execa(prefix[0]!, [...prefix.slice(1), 'true'], { reject: false });
    if (r.exitCode === 0) return prefix;
  }
  return null;
}

let world: { unpacked: string; runDir: string; env: Record<string, string>; canary: string; prefix: string[] };

beforeAll(async () => {
  const tmp = makeTmpDir('daqflow-dist-');
  // No node_modules above the unpack folder: node's resolution could otherwise find packages outside the tarball.
  for (let d = tmp; d !== path.dirname(d); d = path.dirname(d)) expect(fs.existsSync(path.join(d, 'node_modules')), d).toBe(false);
  const out = path.join(tmp, 'release');
  const built = await execa(process.execPath, [path.join(root, 'scripts', 'dist.mjs'), '--out', out], { reject: false, all: true });
  expect(built.exitCode, built.all).toBe(0);
  const tarball = path.join(out, `${name}.tar.gz`);
  expect(fs.existsSync(tarball)).toBe(true);
  const unpackDir = path.join(tmp, 'opt');
  fs.mkdirSync(unpackDir);
  await execa('tar', ['-xzf', tarball, '-C', unpackDir]);
  // npm and npx on PATH are traps: if anything calls them, the canary file appears.
  const canary = path.join(tmp, 'npm-was-called');
  const trapDir = path.join(tmp, 'trap-bin');
  fs.mkdirSync(trapDir);
  for (const tool of ['npm', 'npx']) fs.writeFileSync(path.join(trapDir, tool), `#!/bin/sh\necho "${tool} $*" >> '${canary}'\nexit 1\n`, { mode: 0o755 });
  const runDir = path.join(tmp, 'run');
  fs.mkdirSync(runDir);
  const env = { PATH: `${trapDir}:${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: tmp, LANG: 'C.UTF-8' };
  let prefix = await noNetworkPrefix();
  if (!prefix) {
    // CI sets DAQFLOW_REQUIRE_UNSHARE=1: there the test must prove "no network", never fall back.
    expect(process.env.DAQFLOW_REQUIRE_UNSHARE, 'neither `unshare -n` nor `unshare -rn` works here').not.toBe('1');
    console.warn('dist.test: no network namespace available; running with the network (npm traps still apply)');
    prefix = [];
  }
  world = { unpacked: path.join(unpackDir, name), runDir, env, canary, prefix };
}, 180_000);

/** Runs a command from the unpacked folder with a clean environment (no NODE_PATH, no repo), without network. */
function offline(file: string, args: string[]) {
  const argv = [...world.prefix, file, ...args];
  return execa(argv[0]!, argv.slice(1), { cwd: world.runDir, env: world.env, extendEnv: false, reject: false, all: true });
}

describe('the offline distribution', () => {
  it('holds the launchers, the compiled code and the native modules of this platform, and no dev dependency', () => {
    for (const f of ['daqflow', 'straxer', 'daqflow-demo']) expect(fs.statSync(path.join(world.unpacked, f)).mode & 0o111).not.toBe(0);
    expect(fs.existsSync(path.join(world.unpacked, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(fs.existsSync(path.join(world.unpacked, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))).toBe(true);
    expect(fs.existsSync(path.join(world.unpacked, 'node_modules', 'zstd-napi', 'build', 'Release', 'binding.node'))).toBe(true);
    expect(fs.readFileSync(path.join(world.unpacked, 'BUILD-INFO.txt'), 'utf8')).toMatch(/lz4-napi\.linux-x64-gnu\.node/);
    for (const dev of ['vitest', 'typescript', 'fast-check', 'smtp-server']) expect(fs.existsSync(path.join(world.unpacked, 'node_modules', dev)), dev).toBe(false);
  });

  it('runs without network: only the loopback interface is up', async () => {
    if (world.prefix.length === 0) return expect(process.env.DAQFLOW_REQUIRE_UNSHARE).not.toBe('1');
    const r = await offline(process.execPath, ['-e', 'console.log(Object.keys(require("os").networkInterfaces()).join(","))']);
    expect(r.stdout.trim()).toMatch(/^(lo)?$/);
  });

  it('daqflow --help and --version work from the unpacked folder and load nothing from the repository', async () => {
    const help = await offline(path.join(world.unpacked, 'daqflow'), ['--help']);
    expect(help.exitCode, help.all).toBe(0);
    expect(help.stdout).toMatch(/Commands:[\s\S]*auto-process[\s\S]*migrate/);
    const v = await offline(path.join(world.unpacked, 'daqflow'), ['--version']);
    expect(v.exitCode, v.all).toBe(0);
    expect(v.stdout).toContain(world.unpacked);
    expect(v.stdout).not.toContain(root);
    const straxer = await offline(path.join(world.unpacked, 'straxer'), ['--help']);
    expect(straxer.exitCode, straxer.all).toBe(0);
  });

  it('runs the demo: every good run done, the corrupt run failed; npm never called', async () => {
    const demo = await offline(path.join(world.unpacked, 'daqflow-demo'), []);
    expect(demo.exitCode, demo.all).toBe(0);
    expect(demo.stdout).toMatch(/^012100 +done +done +done +done/m);
    expect(demo.stdout).toMatch(/^012102 +done +failed +.*live file is damaged/m);
    expect(fs.existsSync(path.join(world.runDir, 'daqflow-work', 'archive', '012104.tar'))).toBe(true);
    expect(fs.existsSync(world.canary), fs.existsSync(world.canary) ? fs.readFileSync(world.canary, 'utf8') : '').toBe(false);
  }, 180_000);
});
