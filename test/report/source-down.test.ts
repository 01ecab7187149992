// A source that cannot be queried: exit 4, its error named, and the rest of the report still printed.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportSchema } from '../../src/report/index.js';
import { MongoWireServer } from '../support/mongo-wire-server.js';
import { reportWorld } from './helpers.js';

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('report-status with a source down', () => {
  let wire: MongoWireServer;
  beforeAll(async () => {
    wire = await MongoWireServer.start();
  });
  afterAll(() => wire.close());

  it('reports through MongoDB, then exits 4 naming the runs DB when it stops, with the folders and ledgers still reported', async () => {
    const world = reportWorld({ rundb: { uri: wire.uri, database: 'report_down', connect_timeout_ms: 5000, op_timeout_ms: 10000 } });
    for (const run of [1, 2, 3, 7]) world.writeRun(run);
    expect((await world.cli(['import'])).code).toBe(0);
    const up = await world.cli(['report-status', '--json']);
    expect(up.code, up.stderr).toBe(0);
    expect(reportSchema.parse(JSON.parse(up.stdout)).sources.rundb).toMatchObject({ available: true, count: 4, gaps: { first: [[4, 6]] } });

    await wire.stop();
    try {
      const down = await world.cli(['report-status', '--json']);
      expect(down.code).toBe(4);
      const report = reportSchema.parse(JSON.parse(down.stdout));
      expect(report.exit_code).toBe(4);
      expect(report.sources.rundb).toMatchObject({ available: false, count: 0 });
      expect(report.sources.rundb.error).toMatch(/unreachable/);
      expect(report.errors.map((e) => e.source)).toEqual(['rundb']);
      expect(report.sources.live).toMatchObject({ available: true, count: 4, ranges: { first: [[1, 3], [7, 7]] } });
      expect(report.stages.import.ledger).toMatchObject({ present: true, last_contiguous_run: 7 });
      expect(report.stages.import.error).toMatch(/the rundb source could not be queried/);
      expect(report.recommendations[0]!.text).toMatch(/^the runs DB could not be queried/);
      expect(down.stderr).toMatch(/the rundb source could not be queried: .*unreachable.*\(the rest of the report is complete\)/);

      const text = await world.cli(['report-status']);
      expect(text.code).toBe(4);
      expect(text.stdout).toContain('runs DB: COULD NOT BE QUERIED');
      expect(text.stdout).toContain('live/run-record folders: 4 runs 000001–000007; ranges 000001–000003, 000007; gaps 000004–000006');
    } finally {
      await wire.restart();
    }
  });

  it('exits 4 when the HTTP archive does not answer, and still reports the runs DB and the folders', async () => {
    const port = await closedPort();
    const world = reportWorld({ archive: { kind: 'http', url: `http://127.0.0.1:${port}/dav/{run}.tar`, retries: 0, connect_timeout_s: 2, timeout_s: 2 } });
    for (const run of [10, 11]) world.writeRun(run);
    expect((await world.cli(['import'])).code).toBe(0);
    const result = await world.cli(['report-status', '--compare-state', '--json']);
    expect(result.code).toBe(4);
    const report = reportSchema.parse(JSON.parse(result.stdout));
    expect(report.sources.archive).toMatchObject({ configured: true, available: false, locations: [`http://127.0.0.1:${port}/dav/{run}.tar`] });
    expect(report.sources.archive.error).toMatch(/ECONNREFUSED|unreachable|refused/i);
    expect(report.sources.rundb).toMatchObject({ available: true, count: 2 });
    expect(report.stages.import).toMatchObject({ done_runs: 2, drift: [] });
    expect(report.stages.migrate.drift).toBeNull();
    expect(report.stages.migrate.error).toMatch(/archive source could not be queried/);
  });
});
