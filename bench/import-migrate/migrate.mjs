// migrate throughput to the local nginx WebDAV against `curl -T` of the same blobs in the same run, and peak RSS by blob size.
//
//   node bench/import-migrate/migrate.mjs [--blobs 20] [--mb 100] [--rss 10,100,1000]
//
// Needs root (scripts/nginx-up.sh starts the test nginx) and `npm run build` first. Uses ~blobs × mb × 3 of disk
// (sources, blob files for curl, objects on the server); everything is removed at the end.
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { HttpTarget } from '../../dist/archive/index.js';
import { buildBlob } from '../../dist/stages/migrate/blob.js';
import { migrateRun } from '../../dist/stages/migrate/migrate-run.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};

async function nginx() {
  await execa('bash', [path.join(root, 'scripts/nginx-up.sh')]);
  const info = JSON.parse(fs.readFileSync('/var/lib/daqflow-nginx/server.json', 'utf8'));
  return { ...info, password: fs.readFileSync(info.password_file, 'utf8').trim() };
}

function target(server, folder) {
  return new HttpTarget({
    url: '{server}/{folder}/{run}.tar', values: { server: server.url, folder, object: 'o' },
    username: server.username, password: server.password, tls: { verify: true },
    connectTimeoutMs: 10_000, idleTimeoutMs: 300_000, retries: 0, retryDelayMs: 0,
  });
}

/** A run folder with two record files and one strax folder holding a `mb` MB chunk (random bytes, a per-run prefix). */
function makeRun(dir, run, mb, pool) {
  const name = String(run).padStart(6, '0');
  const recordDir = path.join(dir, 'live', name);
  const dataDir = path.join(dir, 'strax', `${name}-raw_records-benchbench`);
  fs.mkdirSync(recordDir, { recursive: true });
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(recordDir, 'run_record.json'), JSON.stringify({ run_number: run }));
  fs.writeFileSync(path.join(recordDir, 'boot.fcl'), `run: ${run}\n`);
  const fd = fs.openSync(path.join(dataDir, 'raw_records-benchbench-000000'), 'w');
  fs.writeSync(fd, crypto.randomBytes(16));
  for (let left = mb * 2 ** 20 - 16; left > 0; left -= pool.length) fs.writeSync(fd, pool, 0, Math.min(left, pool.length));
  fs.closeSync(fd);
  return { run, recordDir, recordFiles: ['boot.fcl', 'run_record.json'], data: [{ type: 'raw_records', dir: dataDir }] };
}

/** `curl URL | md5sum` without a shell: curl's stdout is md5sum's stdin (no copy through node). */
async function curlToMd5sum(cfg, url) {
  const md5sum = spawn('md5sum', [], { stdio: ['pipe', 'ignore', 'inherit'] });
  const curl = spawn('curl', ['-fsS', '-K', cfg, url], { stdio: ['ignore', md5sum.stdin, 'inherit'] });
  md5sum.stdin.destroy();
  const exit = (child) => new Promise((resolve, reject) => child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${child.spawnfile} exited ${code}`)))));
  await Promise.all([exit(curl), exit(md5sum)]);
}

const seconds = async (fn) => {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
};

async function throughput(server, blobs, mb) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-migrate-'));
  const folder = `bench-${process.pid}`;
  const pool = crypto.randomBytes(8 * 2 ** 20);
  const curlCfg = path.join(dir, 'curl.cfg');
  fs.writeFileSync(curlCfg, `user = "${server.username}:${server.password}"\n`, { mode: 0o600 });
  const t = { curlPut: 0, put: 0, curlRound: 0, migrate: 0 };
  let bytes = 0;
  try {
    for (let i = 0; i < blobs; i++) {
      const spec = makeRun(dir, 1000 + i, mb, pool);
      const blob = await buildBlob(spec.run, spec.recordDir, spec.recordFiles, spec.data);
      const blobFile = path.join(dir, `${spec.run}.tar`);
      await pipeline(blob.open(), fs.createWriteStream(blobFile));
      bytes += blob.size;
      const url = (sub) => `${server.url}/${folder}/${sub}/${spec.run}.tar`;
      // Upload only: curl -T of the blob file vs daqflow's PUT of the same file.
      t.curlPut += await seconds(() => execa('curl', ['-fsS', '-K', curlCfg, '-T', blobFile, url('curl')]));
      const put = target(server, `${folder}/put`);
      t.put += await seconds(() => put.put(spec.run, () => fs.createReadStream(blobFile, { highWaterMark: 1 << 20 }), { size: blob.size }));
      // A whole round trip: curl -T, then curl GET | md5sum, vs migrate's (look up, build the tar from the run folder, PUT, read back + MD5).
      t.curlRound += await seconds(async () => {
        await execa('curl', ['-fsS', '-K', curlCfg, '-T', blobFile, url('curl-round')]);
        await curlToMd5sum(curlCfg, url('curl-round'));
      });
      const m = target(server, `${folder}/migrate`);
      t.migrate += await seconds(() => migrateRun({ ...spec, target: m, overwrite: false, requiredKeys: null }));
      fs.rmSync(blobFile);
      fs.rmSync(path.dirname(spec.data[0].dir), { recursive: true, force: true });
      fs.mkdirSync(path.dirname(spec.data[0].dir), { recursive: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.join(server.dav_root, folder), { recursive: true, force: true });
  }
  const mbs = (s) => bytes / 2 ** 20 / s;
  console.log(`${blobs} blobs of ${mb} MB (${(bytes / 2 ** 30).toFixed(2)} GiB) to nginx WebDAV on 127.0.0.1, MB/s (higher is better)`);
  console.log(`  upload only:  curl -T ${mbs(t.curlPut).toFixed(0)}  daqflow PUT ${mbs(t.put).toFixed(0)}  ratio ${(t.curlPut / t.put).toFixed(2)}x`);
  console.log(`  round trip:   curl -T + curl | md5sum ${mbs(t.curlRound).toFixed(0)}  daqflow migrate (tar build + PUT + read-back MD5) ${mbs(t.migrate).toFixed(0)}  ratio ${(t.curlRound / t.migrate).toFixed(2)}x`);
}

/** One migrate of a blob of `mb` MB in a fresh process; prints its peak RSS. */
async function rssChild(server, mb) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-rss-'));
  const folder = `bench-rss-${process.pid}`;
  try {
    const spec = makeRun(dir, 7, mb, crypto.randomBytes(8 * 2 ** 20));
    const before = process.resourceUsage().maxRSS;
    const result = await migrateRun({ ...spec, target: target(server, folder), overwrite: false, requiredKeys: null });
    console.log(JSON.stringify({ mb, size: result.copy.size, rss_before_mb: before / 1024, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.join(server.dav_root, folder), { recursive: true, force: true });
  }
}

const server = await nginx();
if (process.argv.includes('--rss-child')) {
  await rssChild(server, Number(arg('rss-child')));
} else {
  await throughput(server, Number(arg('blobs', 20)), Number(arg('mb', 100)));
  console.log('peak RSS of one migrate (fresh process each; goal: flat)');
  for (const mb of String(arg('rss', '10,100,1000')).split(',').map(Number)) {
    const { stdout } = await execa(process.execPath, [import.meta.filename, '--rss-child', String(mb)]);
    const r = JSON.parse(stdout);
    console.log(`  ${String(mb).padStart(5)} MB blob: peak RSS ${r.peak_rss_mb.toFixed(0)} MB (at start ${r.rss_before_mb.toFixed(0)} MB)`);
  }
}
