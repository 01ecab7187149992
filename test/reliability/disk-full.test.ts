// Disk full for real (a small tmpfs): a clean one-line failure with the contract's exit code, nothing half-written
// left, the source data and the state files intact, and the next attempt completes once there is space.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { writeFileAtomicSync } from '../../src/util/atomic-write.js';
import { mountTmpfs, type Tmpfs } from '../support/tmpfs.js';
import { RUN, cli, makeLiveRun } from '../engine/helpers.js';
import { makeTmpDir } from '../support/tmp.js';
import { migrateWorld } from '../stages/migrate/world.js';
import { rechunkWorld, writeDaqflowDataset } from '../stages/rechunk-helpers.js';
import { runCli } from '../cli/run-cli.js';

/** Every file under `dir` with the SHA-256 of its bytes. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return out;
}

const leftovers = (dir: string): string[] =>
  fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => /_temp|\.tmp$/.test(f));

// 1 MB: less than the ~2 MB of hits, peaklets and peaks the 12 MB run gives.
const disk = mountTmpfs(1);
const describeDisk = disk ? describe : describe.skip;

describeDisk('disk full (tmpfs)', () => {
  const tmpfs = disk as Tmpfs;
  let live: string;
  beforeAll(async () => {
    live = await makeLiveRun({ sizeMb: 12, chunkMb: 2 });
  });
  afterAll(() => tmpfs.unmount());

  it('straxer: exit 1 with one line naming the folder, no _temp left, live data intact; completes once there is space', () => {
    const before = snapshot(live);
    const cwd = makeTmpDir();
    const r = cli('straxer', [RUN, '--target', 'peaks', '--target', 'hits', '--live', live, '--storage', tmpfs.dir], cwd);
    expect(r.code, r.stderr).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('daqflow: error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`no space left on the disk of ${tmpfs.dir}`);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(leftovers(tmpfs.dir)).toEqual([]);
    // What was finished before the disk filled up is complete; nothing else is there.
    for (const ds of new DataDirectory(tmpfs.dir).list({ run: RUN })) expect(ds.state, ds.folderName).toBe('complete');
    expect(snapshot(live)).toEqual(before);

    tmpfs.resize(64);
    const again = cli('straxer', [RUN, '--target', 'peaks', '--target', 'hits', '--live', live, '--storage', tmpfs.dir, '--json'], cwd);
    expect(again.code, again.stderr).toBe(0);
    const states = Object.fromEntries(new DataDirectory(tmpfs.dir).list({ run: RUN }).map((d) => [d.dataType, d.state]));
    // The targets; peaklets only if peaks had to be computed (which products the first attempt finished depends on
    // which write hit the full disk first).
    expect(states).toMatchObject({ hits: 'complete', peaks: 'complete' });
    expect(Object.values(states).every((s) => s === 'complete')).toBe(true);
    expect(leftovers(tmpfs.dir)).toEqual([]);
  });

  it('a state file written atomically on a full disk: the old content stays and no temp file is left', () => {
    for (const f of fs.readdirSync(tmpfs.dir)) fs.rmSync(path.join(tmpfs.dir, f), { recursive: true, force: true });
    tmpfs.resize(1);
    const ledger = path.join(tmpfs.dir, 'process.ledger');
    writeFileAtomicSync(ledger, 'contiguous 12100\n');
    const filler = tmpfs.fill();
    expect(() => writeFileAtomicSync(ledger, 'x'.repeat(256 * 1024), { backup: true })).toThrow(/ENOSPC/);
    expect(fs.readFileSync(ledger, 'utf8')).toBe('contiguous 12100\n');
    expect(fs.readdirSync(tmpfs.dir).sort()).toEqual(['filler', 'process.ledger']);
    fs.rmSync(filler);
  });

  it('migrate to a folder archive that fills up: the runs that did not fit fail, no partial object is left, the ledger stays behind them; all archive once there is space', async () => {
    for (const f of fs.readdirSync(tmpfs.dir)) fs.rmSync(path.join(tmpfs.dir, f), { recursive: true, force: true });
    tmpfs.resize(1);
    const world = migrateWorld({ archive: { kind: 'filesystem', path: tmpfs.dir } });
    await world.addImportedRuns([1, 2, 3, 4], { extraBytes: 300_000 });
    const sources = snapshot(world.liveDir);
    const full = await world.cli(['migrate', '--incremental', '--set', 'pass.concurrency=1']);
    expect(full.code, full.stderr).toBe(1);
    expect(full.stderr).not.toMatch(/internal error|\n\s+at /);
    const ledger = world.ledger('migrate')!;
    const failed = Object.keys(ledger.failed).map(Number);
    expect(failed.length).toBeGreaterThan(0);
    for (const run of failed) expect(ledger.failed[String(run)]!.reason).toMatch(/no space left/i);
    expect(ledger.last_contiguous_run ?? 0).toBeLessThan(Math.min(...failed));
    // Only whole objects with their MD5 sidecar, and only for the runs that succeeded.
    const objects = fs.readdirSync(tmpfs.dir).sort();
    const archived = [1, 2, 3, 4].filter((r) => !failed.includes(r));
    expect(objects).toEqual(archived.flatMap((r) => [`00000${r}.tar`, `00000${r}.tar.md5`]));
    expect(snapshot(world.liveDir)).toEqual(sources);

    tmpfs.resize(8);
    const again = await world.cli(['migrate', '--retry-failed-migrate']);
    expect(again.code, again.stderr).toBe(0);
    expect(world.ledger('migrate')).toMatchObject({ last_contiguous_run: 4, failed: {} });
  });

  it('rechunk into a production folder that fills up: the run fails naming the disk, no _temp is left, the source stays whole; done once there is space', async () => {
    for (const f of fs.readdirSync(tmpfs.dir)) fs.rmSync(path.join(tmpfs.dir, f), { recursive: true, force: true });
    tmpfs.resize(1);
    const world = rechunkWorld([]);
    fs.writeFileSync(world.configFile, fs.readFileSync(world.configFile, 'utf8').replace(`dest_dir: ${world.dest}`, `dest_dir: ${tmpfs.dir}`));
    await writeDaqflowDataset(world.source, { runId: '000301', dataType: 'records', rows: 40_000, rowsPerChunk: 2_000 });
    const before = snapshot(world.source);
    const full = runCli(['rechunk', '--config', world.configFile], { cwd: world.dir });
    expect(full.code, full.stderr).toBe(1);
    expect(full.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(full.stderr).toMatch(/no space left/i);
    expect(leftovers(tmpfs.dir)).toEqual([]);
    expect(fs.readdirSync(tmpfs.dir)).toEqual([]);
    expect(snapshot(world.source)).toEqual(before);
    const ledger = JSON.parse(fs.readFileSync(path.join(world.dir, 'work', 'state', 'rechunk.json'), 'utf8'));
    expect(ledger.failed['301'].reason).toMatch(/no space left/i);

    tmpfs.resize(64);
    const again = runCli(['rechunk', '--retry-failed-rechunk', '--config', world.configFile], { cwd: world.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(new DataDirectory(tmpfs.dir).list({ run: '000301' }).map((d) => [d.dataType, d.state])).toEqual([['records', 'complete']]);
    expect(new DataDirectory(world.source).list({ run: '000301' })).toEqual([]);
  });
});
