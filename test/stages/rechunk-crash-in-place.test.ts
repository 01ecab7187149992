// SIGKILL a real `daqflow rechunk` in place (no dest_dir) at random moments: every dataset always has a complete copy
// on disk (under its name, staged, or parked as .old) holding the original rows, the runs DB lists at most one copy,
// and the next pass finishes with each dataset rechunked under its own name.
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

async function freshWorld(): Promise<{ world: RechunkWorld; rows: Map<string, Buffer>; names: Map<string, string> }> {
  const world = rechunkWorld(['target_mb: 0.3', 'raw_target_mb: 0.4', 'max_workers: 2', 'max_threads: 2', 'deep_compare: true']);
  fs.writeFileSync(world.configFile, fs.readFileSync(world.configFile, 'utf8').replace(/  dest_dir: .*\n/, '') + 'pass:\n  lock_stale_s: 2\n  lock_update_s: 1\n');
  const rows = new Map<string, Buffer>();
  const names = new Map<string, string>();
  const { config } = loadConfig({ configPath: world.configFile, env: {} });
  const store = await openRunStore(config);
  await store.upsertRun({ number: 7, name: '000007' });
  for (const [i, dataType] of TYPES.entries()) {
    const written = await writeDaqflowDataset(world.source, { runId: '000007', dataType, rows: 6000, rowsPerChunk: 150, seed: i + 1 });
    rows.set(dataType, Buffer.from(written.rows));
    const ds = new DataDirectory(world.source).list({ dataType })[0]!;
    names.set(dataType, ds.folderName);
    await store.addData(7, { type: dataType, host: 'test-host', location: ds.path, compressor: 'lz4' });
  }
  await store.close();
  return { world, rows, names };
}

async function checkInvariants(world: RechunkWorld, rows: Map<string, Buffer>, names: Map<string, string>): Promise<{ finished: boolean; why: string[] }> {
  const { config } = loadConfig({ configPath: world.configFile, env: {} });
  const store = await openRunStore(config);
  const doc = (await store.getRun(7))!;
  await store.close();
  const staging = path.join(world.source, '.daqflow-rechunk');
  let finished = true;
  const why: string[] = [];
  for (const dataType of TYPES) {
    const name = names.get(dataType)!;
    // A kill between the swap's two renames leaves nothing under the name (the old copy parked, the new one staged).
    const placedPath = path.join(world.source, name);
    const placed = fs.existsSync(placedPath) ? inspectDataset(placedPath) : undefined;
    const staged = fs.existsSync(path.join(staging, name)) ? inspectDataset(path.join(staging, name)) : undefined;
    // A parked old copy is a complete dataset under a name readers do not see: read it through a link with its name.
    const parked = path.join(staging, `${name}.old`);
    let old: ReturnType<typeof inspectDataset>;
    const view = path.join(world.dir, 'parked-view');
    if (fs.existsSync(parked)) {
      fs.rmSync(view, { recursive: true, force: true });
      fs.mkdirSync(view);
      fs.symlinkSync(parked, path.join(view, name));
      old = inspectDataset(path.join(view, name));
    }
    const complete = [placed, staged, old].filter((d) => d?.state === 'complete');
    expect([dataType, complete.length >= 1]).toEqual([dataType, true]);
    for (const d of complete) expect(Buffer.from(await new DataDirectory(path.dirname(d!.path)).readAll(d!)).equals(rows.get(dataType)!)).toBe(true);
    const entries = (doc.data ?? []).filter((e) => e.type === dataType && e.host === 'test-host');
    expect([dataType, entries.length <= 1]).toEqual([dataType, true]);
    for (const e of entries) expect([dataType, e.location]).toEqual([dataType, path.join(world.source, name)]);
    const done = placed?.state === 'complete' && placed.metadata!.compressor !== 'lz4' && !staged && !old && entries.length === 1 && entries[0]!.compressor === placed.metadata!.compressor;
    if (!done) {
      finished = false;
      why.push(`${dataType}: placed ${placed?.state}/${placed?.metadata?.compressor}, staged ${staged?.state}, parked ${old?.state}, entries ${JSON.stringify(entries.map((e) => [e.location, e.compressor]))}`);
    }
  }
  return { finished, why };
}

describe('rechunk in place under SIGKILL', () => {
  it(`${KILLS} kills at random moments: always a complete copy with the original rows, never two registered; the next pass finishes in place`, async () => {
    const { world, rows, names } = await killRechunkPasses({ kills: KILLS, seed: 4242, fresh: freshWorld, check: (w) => checkInvariants(w.world, w.rows, w.names) });
    const last = await startCli(['rechunk', '--config', world.configFile]).done;
    expect(last.code, last.stderr).toBe(0);
    const end = await checkInvariants(world, rows, names);
    expect(end.finished, `${end.why.join('\n')}\n${last.stderr}`).toBe(true);
    expect(fs.readdirSync(path.join(world.source, '.daqflow-rechunk'))).toEqual([]);
  }, 900_000);
});
