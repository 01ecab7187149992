// SIGKILL a real `daqflow rechunk` process at random moments: every dataset always has exactly one complete copy
// it can be read from (source or new), the runs DB lists at most one copy, and it points at a complete one.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { openRunStore } from '../../src/rundb/index.js';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { inspectDataset } from '../../src/strax/storage/dataset.js';
import { startCli } from './import-helpers.js';
import { killRechunkPasses } from './rechunk-kill-loop.js';
import { rechunkWorld, writeDaqflowDataset, type RechunkWorld } from './rechunk-helpers.js';

const TYPES = ['raw_records', 'records', 'records_he'];
const KILLS = 30;

async function freshWorld(): Promise<{ world: RechunkWorld; rows: Map<string, Buffer> }> {
  const world = rechunkWorld(['target_mb: 0.3', 'raw_target_mb: 0.4', 'max_workers: 2', 'max_threads: 2', 'deep_compare: true']);
  fs.appendFileSync(world.configFile, 'pass:\n  lock_stale_s: 2\n  lock_update_s: 1\n');
  const rows = new Map<string, Buffer>();
  const { config } = loadConfig({ configPath: world.configFile, env: {} });
  const store = await openRunStore(config);
  await store.upsertRun({ number: 7, name: '000007' });
  for (const [i, dataType] of TYPES.entries()) {
    const written = await writeDaqflowDataset(world.source, { runId: '000007', dataType, rows: 6000, rowsPerChunk: 150, seed: i + 1 });
    rows.set(dataType, Buffer.from(written.rows));
    const ds = new DataDirectory(world.source).list({ dataType })[0]!;
    await store.addData(7, { type: dataType, host: 'test-host', location: ds.path, compressor: 'lz4' });
  }
  await store.addData(7, { type: 'records', host: 'tape', location: 'rucio://x', note: 'not ours' });
  await store.close();
  return { world, rows };
}

/** The invariants that must hold whenever no rechunk process is running. */
async function checkInvariants(world: RechunkWorld, rows: Map<string, Buffer>, seen?: Map<string, number>): Promise<{ finished: boolean }> {
  const { config } = loadConfig({ configPath: world.configFile, env: {} });
  const store = await openRunStore(config);
  const doc = (await store.getRun(7))!;
  await store.close();
  let finished = true;
  for (const dataType of TYPES) {
    const complete = [world.source, world.dest]
      .flatMap((root) => new DataDirectory(root).list({ dataType }))
      .filter((d) => d.state === 'complete');
    expect([dataType, complete.length >= 1]).toEqual([dataType, true]);
    // Whichever copy is complete holds the original rows.
    for (const d of complete) expect(Buffer.from(await new DataDirectory(path.dirname(d.path)).readAll(d)).equals(rows.get(dataType)!)).toBe(true);
    const entries = (doc.data ?? []).filter((e) => e.type === dataType && e.host === 'test-host');
    expect([dataType, entries.length <= 1]).toEqual([dataType, true]);
    for (const e of entries) expect([dataType, e.location, inspectDataset(e.location)?.state]).toEqual([dataType, e.location, 'complete']);
    const where = complete.map((d) => (d.path.startsWith(world.dest) ? 'new' : 'old')).sort().join('+');
    const leftovers = fs.readdirSync(world.dest).some((n) => n.startsWith(`000007-${dataType}-`) && n.endsWith('_temp')) ? ', _temp' : '';
    const state = `${where}${leftovers}, ${entries.length ? (entries[0]!.location.startsWith(world.dest) ? 'entry→new' : 'entry→old') : 'no entry'}`;
    seen?.set(state, (seen.get(state) ?? 0) + 1);
    const done = complete.length === 1 && complete[0]!.path.startsWith(world.dest) && entries.length === 1 && entries[0]!.location === complete[0]!.path;
    if (!done || fs.existsSync(path.join(world.source, complete[0]!.folderName))) finished = false;
  }
  expect(doc.data!.filter((e) => e.host === 'tape')).toEqual([expect.objectContaining({ location: 'rucio://x', note: 'not ours' })]);
  return { finished };
}

describe('rechunk under SIGKILL', () => {
  it(`${KILLS} kills at random moments: always one complete copy per dataset, never two registered; the next pass finishes`, async () => {
    // Where the kills landed, per data type (informational: which states occur depends on the machine's speed).
    const seen = new Map<string, number>();
    const { world, rows } = await killRechunkPasses({ kills: KILLS, seed: 12345, fresh: freshWorld, check: (w, killed) => checkInvariants(w.world, w.rows, killed ? seen : undefined) });
    console.info(`rechunk SIGKILL states seen (per data type): ${[...seen].map(([k, n]) => `${k}: ${n}`).join('; ')}`);
    // The last world, whatever state the kills left it in, is finished by one more pass.
    const last = await startCli(['rechunk', '--config', world.configFile]).done;
    expect(last.code, last.stderr).toBe(0);
    expect((await checkInvariants(world, rows)).finished).toBe(true);
    expect(fs.readdirSync(world.dest).filter((n) => n.endsWith('_temp'))).toEqual([]);
  }, 900_000);
});
