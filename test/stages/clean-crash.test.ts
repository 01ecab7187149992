// Crash-only: `clean --execute` SIGKILLed at random moments; ordinary passes afterwards end exactly where an
// uninterrupted pass ends (same files, same runs-DB entries, every deletion recorded once), and nothing is lost.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { openRunStore } from '../../src/rundb/index.js';
import { makeTmpDir } from '../support/tmp.js';
import { age, cleanWorld, dataset, HOST, HOUR, liveFolder, snapshotTree } from './clean-helpers.js';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'daqflow.js');
const N = 40;

function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function pass(configFile: string, killAfterMs: number | null): Promise<number | 'killed'> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'clean', '--execute', '--config', configFile, '-q'], { stdio: 'ignore' });
    const timer = killAfterMs === null ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal === 'SIGKILL' ? 'killed' : (code ?? -1));
    });
  });
}

/** N runs: live data to delete (done, verified, two raw copies), an outdated dataset with a current one, a stray folder. */
async function prepare(): Promise<{ work: string; configFile: string }> {
  const dir = makeTmpDir();
  const work = path.join(dir, 'work');
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, `work_dir: ${work}\nhost: ${HOST}\npass:\n  lock_stale_s: 2\n  lock_update_s: 1\n`);
  const w = cleanWorld(configSchema.parse({ work_dir: work }));
  const store = await openRunStore(w.config);
  const docs = [];
  for (let n = 1; n <= N; n++) {
    const live = liveFolder(w, n);
    const old = dataset(w, n, 'peaklets', 'oldhash');
    const current = dataset(w, n, 'peaklets', 'newhash');
    age(dataset(w, n, 'event_info', 'stray'), 48);
    docs.push({
      number: n, name: String(n).padStart(6, '0'), end: new Date(Date.now() - 100 * HOUR),
      data: [
        { type: 'live', host: HOST, location: live },
        { type: 'raw_records', host: 'rucio-catalogue', location: 'UC_DALI_USERDISK', status: 'transferred' },
        { type: 'raw_records', host: 'dali001', location: `/dali/${n}-raw_records-x` },
        { type: 'peaklets', host: HOST, location: old, lineage_hash: 'oldhash' },
        { type: 'peaklets', host: HOST, location: current, lineage_hash: 'newhash' },
      ],
    });
  }
  await store.upsertRuns(docs);
  for (let n = 1; n <= N; n++) await store.updateStage(n, 'process', { set: { state: 'done', verified_at: new Date(Date.now() - 90 * HOUR) } });
  await store.close();
  return { work, configFile };
}

/** Where a world ended: its folders and files, and each run's entries and deletions, with the work dir replaced. */
async function outcome(work: string) {
  const store = await openRunStore(configSchema.parse({ work_dir: work }));
  try {
    const rel = (p: unknown) => String(p).replace(work, '<work>');
    const runs = (await store.listRuns({})).map((d) => ({
      run: d.number,
      data: (d.data ?? []).map((e) => rel(e.location)).sort(),
      deleted: (d.deleted_data ?? []).map((e) => `${rel(e.location)} ${e.reason.split(':')[0]}`).sort(),
    }));
    const files = ['strax_data', 'live_data', 'quarantine'].flatMap((d) => (fs.existsSync(path.join(work, d)) ? snapshotTree(path.join(work, d)).map((f) => `${d}/${f}`) : []));
    return { runs, files };
  } finally {
    await store.close();
  }
}

/** Ordinary passes until one finishes (a killed pass's lock is taken over once stale). */
async function passUntilDone(configFile: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const code = await pass(configFile, null);
    if (code === 0) return;
    expect(code, 'only a lock still held by a killed pass may stop an ordinary pass').toBe(75);
  }
  throw new Error('no clean pass finished in 100 attempts');
}

test('clean --execute killed 12 times at random moments ends where an uninterrupted pass ends', async () => {
  const reference = await prepare();
  const t0 = Date.now();
  await passUntilDone(reference.configFile);
  // Kill moments spread over how long an uninterrupted pass (process start included) takes on this machine.
  const span = Date.now() - t0;
  const expected = await outcome(reference.work);
  expect(expected.runs.every((r) => r.deleted.length === 2)).toBe(true); // live_done and outdated_lineage, once each
  expect(expected.files.filter((f) => f.startsWith('quarantine/') && f.endsWith('/'))).toHaveLength(N + 1);

  const crashed = await prepare();
  const random = prng(20261202);
  let kills = 0;
  for (let i = 0; i < 12; i++) {
    if ((await pass(crashed.configFile, 50 + Math.floor(random() * span))) === 'killed') kills++;
  }
  expect(kills, `kill moments within ${span} ms`).toBeGreaterThan(0);
  await passUntilDone(crashed.configFile);
  expect(await outcome(crashed.work)).toEqual(expected);
}, 240_000);
