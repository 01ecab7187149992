// Outages in the middle of a pass, through the CLI as cron runs it: the runs DB (MongoDB wire server) and the archive
// server (nginx behind a TCP forwarder that is stopped and started again on the same port) go away while a pass is
// working. The pass exits 4 with one line naming the service, records nothing it did not finish, and the next pass
// after the restart completes every run exactly once.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/index.js';
import { Ledger } from '../../src/pass/ledger.js';
import { openRunStore, stageOf } from '../../src/rundb/index.js';
import { MongoWireServer } from '../support/mongo-wire-server.js';
import { startNginx, uniqueFolder, type NginxServer } from '../support/nginx.js';
import { makeTmpDir } from '../support/tmp.js';
import { NO_SLURM, SLURM_DIR, holdCluster, slurmUp, until } from '../batch/helpers.js';
import { startCli, writeRun } from '../stages/import-helpers.js';
import { archiveEntry, migrateWorld } from '../stages/migrate/world.js';
import { startSmtp } from '../notify/servers.js';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'daqflow.js');

/** Exactly one `daqflow: error:` line, no stack trace, no internal-error report. */
function oneErrorLine(stderr: string): string {
  expect(stderr).not.toMatch(/internal error|\n\s+at /);
  const lines = stderr.split('\n').filter((l) => l.startsWith('daqflow: error:'));
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

/** Poll a synchronous condition every 5 ms (the moment of an outage matters). */
async function soon(what: string, fn: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the runs DB goes away in the middle of an import pass', () => {
  let wire: MongoWireServer;
  beforeAll(async () => {
    wire = await MongoWireServer.start();
  });
  afterAll(() => wire.close());

  it('exits 4 naming MongoDB, the ledger claims nothing the DB lacks, and the pass after the restart registers every run once', async () => {
    const dir = makeTmpDir('daqflow-outage-db-');
    const source = path.join(dir, 'runs');
    const runs = Array.from({ length: 40 }, (_, i) => 100 + i);
    for (const run of runs) writeRun(source, run);
    const object = {
      work_dir: 'work', host: 'outage-host', import: { source_dirs: [source], settle_minutes: 0 }, pass: { concurrency: 1 },
      rundb: { backend: 'mongo', uri: wire.uri, database: 'outage_import', connect_timeout_ms: 1500, op_timeout_ms: 1500 },
    };
    const configFile = path.join(dir, 'config.yaml');
    fs.writeFileSync(configFile, JSON.stringify(object));
    const config = configFromObject(object, { baseDir: dir, cwd: dir }).config;
    expect((await startCli(['db', 'init', '--config', configFile], dir).done).code).toBe(0);

    // Stop the server once the pass has written a few runs.
    const writes = () => ['insert', 'update', 'findandmodify'].reduce((a, c) => a + (wire.commandCounts.get(c) ?? 0), 0);
    const before = writes();
    const pass = startCli(['import', '--config', configFile], dir);
    await soon('the pass to register some runs', () => writes() >= before + 6);
    await wire.stop();
    const down = await pass.done;
    expect(down.code, down.stderr).toBe(4);
    expect(oneErrorLine(down.stderr)).toMatch(/mongo|runs DB|runs database/i);

    await wire.restart();
    const store = await openRunStore(config);
    try {
      const imported = async () => new Set((await store.listRuns({})).filter((d) => stageOf(d, store.stateField, 'import')?.state === 'done').map((d) => d.number));
      const ledgerFile = path.join(dir, 'work', 'state', 'import.json');
      if (fs.existsSync(ledgerFile)) {
        const ledger = Ledger.parse(fs.readFileSync(ledgerFile, 'utf8'), ledgerFile, 'import');
        const done = await imported();
        for (const run of runs.filter((r) => ledger.isDone(r))) expect(done.has(run), `the ledger calls run ${run} done`).toBe(true);
      }
      const again = await startCli(['import', '--config', configFile], dir).done;
      expect(again.code, again.stderr).toBe(0);
      expect([...(await imported())].sort((a, b) => a - b)).toEqual(runs);
      expect(await store.countRuns({})).toBe(runs.length);
    } finally {
      await store.close();
    }
  });
});

/** A TCP forwarder to `upstreamPort` that can be stopped (connections cut, port closed) and started again on its port. */
async function forwarder(upstreamPort: number): Promise<{ port: number; stop(): Promise<void>; start(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const start = async () => {
    server = net.createServer((client) => {
      const up = net.connect(upstreamPort, '127.0.0.1');
      for (const s of [client, up]) {
        sockets.add(s);
        s.once('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(up).pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  };
  await start();
  return {
    port,
    start,
    stop: async () => {
      const s = server!;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

describe('the archive server goes away in the middle of a migrate pass', () => {
  let nginx: NginxServer;
  beforeAll(async () => {
    nginx = await startNginx();
  });

  it('exits 4 naming the archive, records no copy it did not verify, and the pass after the restart archives every run once', async () => {
    const link = await forwarder(Number(new URL(nginx.url).port));
    try {
      const folder = uniqueFolder('outage');
      const world = migrateWorld({
        archive: { kind: 'http', url: '{server}/{folder}/{run}.tar', server: `http://127.0.0.1:${link.port}`, folder, username: nginx.username, password_file: nginx.passwordFile, retries: 1, retry_delay_s: 0.05 },
        migrate: { required_keys: ['run_number', 'configuration'] },
        pass: { concurrency: 1 },
      });
      const runs = Array.from({ length: 30 }, (_, i) => 200 + i);
      await world.addImportedRuns(runs, { extraBytes: 200_000 });
      const archived = () => (fs.existsSync(path.join(nginx.davRoot, folder)) ? fs.readdirSync(path.join(nginx.davRoot, folder)).length : 0);
      let stopped = false;
      const pass = world.cli(['migrate', '--incremental'], {
        onStderr: () => undefined,
      });
      await soon('a few objects in the archive', () => archived() >= 3);
      await link.stop();
      stopped = true;
      const down = await pass;
      expect(stopped).toBe(true);
      expect(down.code, down.stderr).toBe(4);
      expect(oneErrorLine(down.stderr)).toMatch(/archive/i);

      // Every copy the runs DB records is in the archive, whole.
      const store = await world.store();
      try {
        for (const run of runs) {
          const entry = archiveEntry(await store.getRun(run));
          if (entry) expect(fs.existsSync(path.join(nginx.davRoot, folder, `000${run}.tar`)), `run ${run}`).toBe(true);
        }
        await link.start();
        const again = await world.cli(['migrate', '--incremental']);
        expect(again.code, again.stderr).toBe(0);
        expect(world.ledger('migrate')).toMatchObject({ last_contiguous_run: runs.at(-1), failed: {} });
        for (const run of runs) expect(archiveEntry(await store.getRun(run)), `run ${run}`).toBeDefined();
        expect(fs.readdirSync(path.join(nginx.davRoot, folder)).filter((f) => f.endsWith('.tar')).sort()).toEqual(runs.map((r) => `000${r}.tar`));
      } finally {
        await store.close();
      }
    } finally {
      await link.stop().catch(() => undefined);
    }
  });
});

describe.skipIf(NO_SLURM)('the Slurm controller goes away while auto-process follows and submits jobs', () => {
  holdCluster({ restartAfter: true });

  it('the pass exits 4, no run is failed or left claimed because of it, and after the restart every run is processed once', async () => {
    const dir = makeTmpDir('daqflow-outage-slurm-');
    const runs = [12400, 12401, 12402];
    const object = {
      work_dir: 'work', import: { source_dirs: ['work/live_data'], settle_minutes: 0 },
      scheduler: { kind: 'slurm', mem_gb: 0.5, walltime_min: 10, command_timeout_s: 10, daqflow_command: [process.execPath, BIN] },
      auto_process: { targets: ['peaks'], max_submit_per_pass: 2, claim_timeout_s: 1, min_free_disk_fraction: 0 },
      processing: { workers: 1 },
    };
    const configFile = path.join(dir, 'config.yaml');
    fs.writeFileSync(configFile, JSON.stringify(object));
    const config = configFromObject(object, { baseDir: dir, cwd: dir }).config;
    const cli = (args: string[]) => startCli([...args, '--config', configFile], dir).done;
    expect((await cli(['fake-daq', '--runs', '012400-012402', '--size-mb', '2', '--daq-chunk-s', '0.1', '--daq-overlap-s', '0.01'])).code).toBe(0);
    expect((await cli(['import'])).code).toBe(0);
    const first = await cli(['auto-process', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect((JSON.parse(first.stdout) as { auto_process: { submitted: unknown[] } }).auto_process.submitted).toHaveLength(2);

    // The controller stops while the two jobs run (SIGTERM, as `systemctl stop` does: slurmctld saves its job state, so
    // the jobs in flight survive the restart; a SIGKILLed controller may lose the newest jobs, reuse their ids and drain
    // the node). The next pass runs into it: it follows two jobs and would submit the third.
    const pid = Number(fs.readFileSync(path.join(SLURM_DIR, 'run/slurmctld.pid'), 'utf8'));
    process.kill(pid, 'SIGTERM');
    await until('slurmctld to stop', async () => (fs.existsSync(`/proc/${pid}`) ? undefined : true), 30_000, 100);
    const pass = startCli(['auto-process', '--config', configFile], dir);
    const down = await pass.done;
    expect(down.code, down.stderr).toBe(4);
    expect(oneErrorLine(down.stderr)).toMatch(/slurm/i);

    const store = await openRunStore(config);
    try {
      const state = async (run: number) => stageOf((await store.getRun(run))!, store.stateField, 'process');
      for (const run of runs) expect((await state(run))?.state, `run ${run} during the outage`).not.toBe('failed');

      await slurmUp({ SLURM_MIN_JOB_AGE: '300' });
      await until('every run done', async () => {
        const again = await cli(['auto-process']);
        expect([0, 75], again.stderr).toContain(again.code);
        const states = await Promise.all(runs.map(state));
        return states.every((s) => s?.state === 'done') ? true : undefined;
      }, 300_000, 2000);
      for (const run of runs) expect((await state(run))?.n_failures ?? 0, `run ${run} failures`).toBe(0);
      expect(await store.countRuns({ stage: 'process', states: ['claimed', 'submitted', 'running'] })).toBe(0);
    } finally {
      await store.close();
    }
  }, 600_000);
});

describe('the SMTP server goes away while a pass runs', () => {
  it('the pass saves its state and keeps its exit code, the failure to mail is one log line, and the mail goes out on the first pass after the restart', async () => {
    const first = await startSmtp('daq', 'pw');
    const port = first.port;
    const dir = makeTmpDir('daqflow-outage-smtp-');
    const source = path.join(dir, 'runs');
    writeRun(source, 1);
    fs.writeFileSync(path.join(writeRun(source, 2), 'run_record', 'settings.yaml'), 'detector: [tpc\n');
    const configFile = path.join(dir, 'config.yaml');
    fs.writeFileSync(configFile, JSON.stringify({
      work_dir: 'work', host: 'outage-host', import: { source_dirs: [source], settle_minutes: 0 }, retry: { base_delay_s: 0 },
      notify: { email: { enabled: true, smtp_host: '127.0.0.1', smtp_port: port, user: 'daq', password: 'pw', to: ['shifter@lab.org'] } },
    }));
    const pass = startCli(['import', '--config', configFile], dir);
    await first.close();
    const down = await pass.done;
    expect(down.code, down.stderr).toBe(1);
    expect(down.stderr).toMatch(/notify: email failed \(.*\); the pass's state is saved/);
    expect(down.stderr).not.toMatch(/internal error|\n\s+at /);
    const ledger = JSON.parse(fs.readFileSync(path.join(dir, 'work', 'state', 'import.json'), 'utf8'));
    expect([ledger.last_contiguous_run, Object.keys(ledger.failed)]).toEqual([1, ['2']]);
    expect(first.mails).toEqual([]);

    const again = await startSmtp('daq', 'pw', { port });
    try {
      const retry = await startCli(['import', '--retry-failed-import', '--config', configFile], dir).done;
      expect(retry.code, retry.stderr).toBe(1);
      expect(again.mails.map((m) => m.subject)).toEqual(['[daqflow] import on outage-host: 1 runs failed']);
    } finally {
      await again.close();
    }
  });
});
