// Two hosts (two work dirs) sharing one runs DB through the real mongodb driver and the wire test server, passes running
// concurrently with interleaved commands: claims are disjoint and every run is processed exactly once.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/log/index.js';
import { runImport } from '../../src/stages/import.js';
import { runCli } from '../cli/run-cli.js';
import { MongoWireServer } from '../support/mongo-wire-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { autoSetup, type AutoSetup } from './auto-process-helpers.js';

let wire: MongoWireServer;
const hosts: AutoSetup[] = [];
beforeAll(async () => {
  wire = await MongoWireServer.start();
});
afterAll(async () => {
  for (const h of hosts) await h.store.close();
  await wire.stop();
});

describe('auto-process on two hosts', () => {
  it('concurrent passes on two hosts claim disjoint runs and process each run once', async () => {
    const shared = makeTmpDir();
    const live = path.join(shared, 'live_data');
    const daq = runCli(['fake-daq', '--runs', '012300-012307', '--size-mb', '2', '--daq-chunk-s', '0.1', '--daq-overlap-s', '0.01', '--live', live, '--set', `work_dir=${shared}`], { cwd: shared });
    expect(daq.code, daq.stderr).toBe(0);
    const rundb = { backend: 'mongo', uri: wire.uri, database: 'two_hosts', connect_timeout_ms: 2000 };
    for (const host of ['host-a', 'host-b']) {
      hosts.push(
        await autoSetup(
          { host, rundb, live: { dir: live }, import: { source_dirs: [live], settle_minutes: 0 }, scheduler: { local_max_parallel: 2 }, auto_process: { max_submit_per_pass: 1 } },
          [],
        ),
      );
    }
    const [a, b] = hosts as [AutoSetup, AutoSetup];
    // In this process: a spawnSync'd CLI would block the wire server that runs on this event loop.
    const imported = await runImport({ config: a.config, logger: memoryLogger(), store: a.store, mode: 'full', handleSignals: false });
    expect(imported.done).toHaveLength(8);
    const runs = (await a.store.listRuns({})).map((d) => d.number);
    expect(runs).toHaveLength(8);
    // Commands of the two hosts interleave at random.
    wire.setLatency({ minMs: 0, maxMs: 5 });
    const submittedBy = new Map<number, string[]>();
    const failures: string[] = [];
    for (let i = 0; i < 600; i++) {
      const passes = await Promise.all([a.pass(), b.pass()]);
      for (const p of passes) failures.push(...p.failed.map((f) => `${f.run} ${p.host}: ${f.reason}`));
      for (const p of passes) for (const x of p.auto_process.submitted) submittedBy.set(x.run, [...(submittedBy.get(x.run) ?? []), p.host]);
      const states = await Promise.all(runs.map(async (r) => (await a.state(r))?.state));
      if (states.every((st) => st === 'done')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    wire.setLatency(null);
    for (const run of runs) {
      const st = await a.state(run);
      expect(st?.state, `run ${run}: ${st?.reason ?? ''}`).toBe('done');
      expect(st?.n_failures ?? 0, `run ${run}: ${failures.filter((f) => f.startsWith(String(run))).join(' // ')}`).toBe(0);
      expect(submittedBy.get(run), `run ${run}`).toHaveLength(1);
    }
    // One run per pass and host, 8 runs eligible: both hosts submit from the first round on, each in its own work dir.
    expect(new Set([...submittedBy.values()].flat())).toEqual(new Set(['host-a', 'host-b']));
    expect((await a.store.listHosts()).map((h) => h.host).sort()).toEqual(['host-a', 'host-b']);
  }, 300_000);
});
