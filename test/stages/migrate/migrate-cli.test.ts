// `daqflow migrate` as a real process against the real nginx WebDAV archive and a sqlite runs DB.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { memoryLogger } from '../../../src/log/index.js';
import { stageOf } from '../../../src/rundb/index.js';
import { runMigrate } from '../../../src/stages/migrate.js';
import { deadPort, startFaultProxy } from '../../support/fault-proxy.js';
import { davTarget, startNginx, uniqueFolder, type NginxServer } from '../../support/nginx.js';
import { makeTmpDir } from '../../support/tmp.js';
import { archiveEntry, migrateWorld } from './world.js';

let nginx: NginxServer;
beforeAll(async () => {
  nginx = await startNginx();
});

const md5File = (file: string): string => crypto.createHash('md5').update(fs.readFileSync(file)).digest('hex');

function davConfig(folder: string, server = nginx.url): Record<string, unknown> {
  return {
    archive: { kind: 'http', url: '{server}/{folder}/{run}.tar', server, folder, username: nginx.username, password_file: nginx.passwordFile, retries: 1, retry_delay_s: 0.05 },
    migrate: { required_keys: ['run_number', 'configuration'] },
  };
}

describe('daqflow migrate', () => {
  it('archives every imported run, records each copy and moves the ledger to the highest run', async () => {
    const folder = uniqueFolder('cli-migrate');
    const world = migrateWorld(davConfig(folder));
    await world.addImportedRuns([100, 101, 105]);
    const result = await world.cli(['migrate', '--incremental', '--validate', '--json']);
    expect(result.stderr).not.toContain(nginx.password);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { done: unknown[] }).done).toHaveLength(3);
    expect(world.ledger('migrate')).toMatchObject({ last_contiguous_run: 105, done_above: [], failed: {} });
    const store = await world.store();
    try {
      for (const run of [100, 101, 105]) {
        const doc = await store.getRun(run);
        const file = path.join(nginx.davRoot, folder, `000${run}.tar`);
        expect(archiveEntry(doc)).toMatchObject({ host: 'archive', location: `${nginx.url}/${folder}/000${run}.tar`, md5: md5File(file), size: fs.statSync(file).size });
        expect(stageOf(doc!, 'daqflow', 'migrate')?.state).toBe('done');
      }
    } finally {
      await store.close();
    }
  });

  it('--incremental archives a run whose import finished after higher runs were archived (it is below the mark)', async () => {
    const folder = uniqueFolder('cli-late-import');
    const world = migrateWorld(davConfig(folder));
    await world.addImportedRuns([10, 12]);
    expect((await world.cli(['migrate', '--incremental'])).code).toBe(0);
    expect(world.ledger('migrate')).toMatchObject({ last_contiguous_run: 12, done_above: [], failed: {} });
    // Run 11's import failed and was retried: it is imported now, below the ledger's mark.
    await world.addImportedRuns([11]);
    const late = await world.cli(['migrate', '--incremental', '--json']);
    expect(late.code, late.stderr).toBe(0);
    expect((JSON.parse(late.stdout) as { done: { run: number }[] }).done.map((d) => d.run)).toEqual([11]);
    expect(fs.existsSync(path.join(nginx.davRoot, folder, '000011.tar'))).toBe(true);
    expect(world.ledger('migrate')).toMatchObject({ last_contiguous_run: 12, done_above: [], failed: {} });
    const store = await world.store();
    try {
      expect(stageOf((await store.getRun(11))!, 'daqflow', 'migrate')?.state).toBe('done');
    } finally {
      await store.close();
    }
    expect((JSON.parse((await world.cli(['migrate', '--incremental', '--json'])).stdout) as { done: unknown[] }).done).toEqual([]);
  });

  it.each(['incremental', 'full'] as const)('a pass (%s) lists the runs DB once: import-done and migrate-done run numbers, one query each', async (mode) => {
    const world = migrateWorld(davConfig(uniqueFolder('cli-queries')));
    await world.addImportedRuns([1, 2, 3]);
    const store = await world.store();
    const asked: string[] = [];
    const listRunNumbers = store.listRunNumbers.bind(store);
    store.listRunNumbers = (filter) => {
      asked.push(`${filter?.stage}:${(filter?.states ?? []).join(',')}`);
      return listRunNumbers(filter);
    };
    try {
      const { config } = loadConfig({ configPath: world.configFile, env: {} });
      const summary = await runMigrate({ config, logger: memoryLogger(), mode, store, handleSignals: false });
      expect(summary.done.map((d) => d.run)).toEqual([1, 2, 3]);
      expect(asked.sort()).toEqual(['import:done', 'migrate:done']);
    } finally {
      await store.close();
    }
  });

  it('exits 4 and records nothing when the archive is down', async () => {
    const world = migrateWorld(davConfig('x', `http://127.0.0.1:${await deadPort()}`));
    await world.addImportedRuns([1, 2]);
    const result = await world.cli(['migrate', '--incremental']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/daqflow: error: archive: HEAD http:\/\/127\.0\.0\.1:\d+\/x\/000000\.tar failed 2 times; last: ECONNREFUSED/);
    expect(world.ledger('migrate')).toBeNull();
    const store = await world.store();
    try {
      for (const run of [1, 2]) {
        const doc = await store.getRun(run);
        expect(archiveEntry(doc)).toBeUndefined();
        expect(stageOf(doc!, 'daqflow', 'migrate')).toBeUndefined();
      }
    } finally {
      await store.close();
    }
  });

  it('exits 3 on a wrong password, without printing it', async () => {
    const pwFile = path.join(migrateWorld({}).dir, 'pw');
    fs.writeFileSync(pwFile, 'wrong-password-123\n', { mode: 0o600 });
    const world = migrateWorld({ ...davConfig(uniqueFolder('cli-auth')), archive: { ...(davConfig('f').archive as object), password_file: pwFile } });
    await world.addImportedRuns([1]);
    const result = await world.cli(['migrate']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/HTTP 401 .*check archive\.username/);
    expect(result.stderr).not.toContain('wrong-password-123');
    expect(world.ledger('migrate')?.last_contiguous_run ?? null).toBeNull();
  });

  it('fails a run whose archived object differs, naming both hashes, until --overwrite replaces it', async () => {
    const folder = uniqueFolder('cli-different');
    const world = migrateWorld(davConfig(folder));
    await world.addImportedRuns([7, 8]);
    const other = Buffer.from('someone else wrote this');
    await davTarget(nginx, folder).put(7, () => Readable.from([other]));
    const first = await world.cli(['migrate', '--incremental']);
    expect(first.code).toBe(1);
    const otherMd5 = crypto.createHash('md5').update(other).digest('hex');
    expect(world.ledger('migrate')!.failed['7']!.reason).toMatch(new RegExp(`archive md5 ${otherMd5} \\(23 bytes\\), this blob md5 [0-9a-f]{32} .*pass --overwrite`));
    expect(world.ledger('migrate')).toMatchObject({ last_contiguous_run: null, done_above: [8] });
    expect(fs.readFileSync(path.join(nginx.davRoot, folder, '000007.tar')).equals(other)).toBe(true);
    const retried = await world.cli(['migrate', '--retry-failed-migrate', '--overwrite']);
    expect(retried.code).toBe(0);
    expect(world.ledger('migrate')).toMatchObject({ last_contiguous_run: 8, failed: {} });
    expect(md5File(path.join(nginx.davRoot, folder, '000007.tar'))).not.toBe(otherMd5);
  });

  it('records the reason when the object read back differs from the upload, and a retry then succeeds', async () => {
    const folder = uniqueFolder('cli-tamper');
    const file = path.join(nginx.davRoot, folder, '000003.tar');
    let putDone = false;
    const proxy = await startFaultProxy(nginx.url, (req) => {
      if (req.method === 'PUT') putDone = true;
      else if (req.method === 'GET' && putDone) return { before: () => fs.appendFileSync(file, 'x') };
      return 'forward';
    });
    try {
      const world = migrateWorld(davConfig(folder, proxy.url));
      await world.addImportedRuns([3]);
      expect((await world.cli(['migrate'])).code).toBe(1);
      const reason = world.ledger('migrate')!.failed['3']!.reason;
      expect(reason).toMatch(/read-back differs from the upload: sent md5 \w+ \(\d+ bytes\), archive returned md5 \w+/);
      const store = await world.store();
      const doc = await store.getRun(3);
      await store.close();
      expect(stageOf(doc!, 'daqflow', 'migrate')).toMatchObject({ state: 'failed', reason });
      expect(archiveEntry(doc)).toBeUndefined();
      // The altered object stays in the archive: a retry refuses it as different until an operator says --overwrite.
      fs.writeFileSync(world.configFile, fs.readFileSync(world.configFile, 'utf8').replace(proxy.url, nginx.url));
      expect((await world.cli(['migrate', '--retry-failed-migrate'])).code).toBe(1);
      expect(world.ledger('migrate')!.failed['3']!.reason).toMatch(/the archive holds a different object/);
      expect((await world.cli(['migrate', '--retry-failed-migrate', '--overwrite'])).code).toBe(0);
      expect(world.ledger('migrate')).toMatchObject({ last_contiguous_run: 3, failed: {} });
    } finally {
      await proxy.close();
    }
  });

  it('exits 4 when the read-back download is cut mid-body, records neither a copy nor a failure, and the next pass archives the run', async () => {
    const folder = uniqueFolder('cli-cut');
    let putDone = false;
    let cut = 0;
    const proxy = await startFaultProxy(nginx.url, (req) => {
      if (req.method === 'PUT') putDone = true;
      else if (req.method === 'GET' && putDone && cut++ === 0) return { cutResponseAfter: 50_000 };
      return 'forward';
    });
    try {
      const world = migrateWorld(davConfig(folder, proxy.url));
      await world.addImportedRuns([5], { extraBytes: 200_000 });
      const down = await world.cli(['migrate', '--incremental']);
      expect(down.code, down.stderr).toBe(4);
      expect(down.stderr).toMatch(/daqflow: error: archive: GET http:\/\/127\.0\.0\.1:\d+\/cli-cut-.*\/000005\.tar: the connection broke after 50000 bytes of the body/);
      expect(world.ledger('migrate')?.failed ?? {}).toEqual({});
      const store = await world.store();
      try {
        const doc = await store.getRun(5);
        expect(archiveEntry(doc)).toBeUndefined();
        expect(stageOf(doc!, 'daqflow', 'migrate')?.state).not.toBe('failed');
        const again = await world.cli(['migrate', '--incremental']);
        expect(again.code, again.stderr).toBe(0);
        expect(archiveEntry(await store.getRun(5))).toBeDefined();
      } finally {
        await store.close();
      }
      expect(world.ledger('migrate')).toMatchObject({ last_contiguous_run: 5, failed: {} });
    } finally {
      await proxy.close();
    }
  });

  it('archives to a mounted folder with MD5 sidecars, and exits 4 recording nothing when the folder is gone', async () => {
    const archiveDir = path.join(makeTmpDir(), 'archive');
    fs.mkdirSync(archiveDir);
    const world = migrateWorld({ archive: { kind: 'filesystem', path: archiveDir } });
    await world.addImportedRuns([11, 12]);
    const result = await world.cli(['migrate', '--incremental']);
    expect(result.code, result.stderr).toBe(0);
    expect(fs.readdirSync(archiveDir).sort()).toEqual(['000011.tar', '000011.tar.md5', '000012.tar', '000012.tar.md5']);
    expect(fs.readFileSync(path.join(archiveDir, '000012.tar.md5'), 'utf8')).toBe(`${md5File(path.join(archiveDir, '000012.tar'))}  000012.tar\n`);
    fs.rmSync(archiveDir, { recursive: true });
    await world.addImportedRuns([13]);
    const down = await world.cli(['migrate', '--incremental']);
    expect(down.code).toBe(4);
    expect(down.stderr).toContain(`archive folder ${archiveDir} is not usable`);
    expect(world.ledger('migrate')).toMatchObject({ last_contiguous_run: 12, failed: {} });
  });

  it('changes nothing with --dry-run', async () => {
    const folder = uniqueFolder('cli-dry');
    const world = migrateWorld(davConfig(folder));
    await world.addImportedRuns([1, 2]);
    const result = await world.cli(['migrate', '--dry-run', '--json']);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { planned: number[] }).planned).toEqual([1, 2]);
    expect(result.stderr).toMatch(/would upload: http:\/\/127\.0\.0\.1:\d+\/cli-dry-.*\/000001\.tar md5 [0-9a-f]{32}/);
    expect(fs.existsSync(path.join(nginx.davRoot, folder))).toBe(false);
    expect(world.ledger('migrate')).toBeNull();
  });

  it('after SIGKILL during an upload, records nothing as archived, and the next pass completes the run', async () => {
    const folder = uniqueFolder('cli-kill');
    const proxy = await startFaultProxy(nginx.url, (req) => (req.method === 'PUT' ? { stallAfter: 100_000, onStall: () => stalled() } : 'forward'));
    let stalled: () => void = () => undefined;
    try {
      const world = migrateWorld({ ...davConfig(folder, proxy.url), pass: { lock_stale_s: 2, lock_update_s: 1 } });
      await world.addImportedRuns([42], { extraBytes: 3_000_000 });
      const killed = new Promise<void>((resolve) => (stalled = resolve));
      const running = world.cli(['migrate', '--incremental']);
      await killed;
      const pid = await pidOfMigrate(world.dir);
      process.kill(pid, 'SIGKILL');
      const result = await running;
      expect(result.signal).toBe('SIGKILL');
      expect(fs.existsSync(path.join(nginx.davRoot, folder, '000042.tar'))).toBe(false);
      const store = await world.store();
      const doc = await store.getRun(42);
      await store.close();
      expect(archiveEntry(doc)).toBeUndefined();
      expect(stageOf(doc!, 'daqflow', 'migrate')?.state ?? 'pending').not.toBe('done');

      fs.writeFileSync(world.configFile, fs.readFileSync(world.configFile, 'utf8').replace(proxy.url, nginx.url));
      // The killed pass's lock is taken over once it is stale (pass.lock_stale_s); until then a pass exits 75.
      let second = await world.cli(['migrate', '--incremental']);
      for (let i = 0; i < 40 && second.code === 75; i++) {
        await new Promise((r) => setTimeout(r, 250));
        second = await world.cli(['migrate', '--incremental']);
      }
      expect(second.code).toBe(0);
      expect(world.ledger('migrate')).toMatchObject({ last_contiguous_run: 42 });
      const after = await world.store();
      const archived = archiveEntry(await after.getRun(42));
      await after.close();
      expect(archived?.md5).toBe(md5File(path.join(nginx.davRoot, folder, '000042.tar')));
    } finally {
      await proxy.close();
    }
  });
});

/** The pid of the migrate process working in `dir`, from its stage lock's holder file. */
async function pidOfMigrate(dir: string): Promise<number> {
  const holder = path.join(dir, 'work', 'locks', 'migrate.holder.json');
  for (let i = 0; i < 100 && !fs.existsSync(holder); i++) await new Promise((r) => setTimeout(r, 50));
  return (JSON.parse(fs.readFileSync(holder, 'utf8')) as { pid: number }).pid;
}
