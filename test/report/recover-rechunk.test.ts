// recover-state rechunk: the ledger of a clean rechunk history rebuilt from the source and destination folders.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rechunkWorld, writeDaqflowDataset } from '../stages/rechunk-helpers.js';
import { startCli } from '../stages/import-helpers.js';
import { comparable, type LedgerJson } from './helpers.js';

describe('recover-state rechunk', () => {
  it('rebuilds a deleted and a too-far-ahead rechunk ledger to what the clean history wrote', async () => {
    const world = rechunkWorld(['target_mb: 1', 'max_workers: 1']);
    const cli = async (...args: string[]) => startCli([...args, '--config', world.configFile], world.dir).done;
    const ledgerFile = path.join(world.dir, 'work', 'state', 'rechunk.json');
    const ledger = (): LedgerJson => JSON.parse(fs.readFileSync(ledgerFile, 'utf8'));
    for (const run of [1, 2, 4]) await writeDaqflowDataset(world.source, { runId: String(run).padStart(6, '0'), dataType: 'records', rows: 300, rowsPerChunk: 100, seed: run });
    expect((await cli('rechunk', '--incremental')).code).toBe(0);
    await writeDaqflowDataset(world.source, { runId: '000006', dataType: 'records', rows: 300, rowsPerChunk: 100, seed: 6 });
    const second = await cli('rechunk', '--incremental');
    expect(second.code, second.stderr).toBe(0);
    const clean = ledger();
    expect(clean).toMatchObject({ last_contiguous_run: 6, done_above: [], failed: {} });
    expect(fs.readdirSync(world.source)).toEqual([]); // keep_source is off: the sources are gone, the copies are the truth

    fs.rmSync(ledgerFile);
    const deleted = await cli('recover-state', 'rechunk');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(comparable(ledger())).toEqual(comparable(clean));

    fs.writeFileSync(ledgerFile, JSON.stringify({ ...clean, last_contiguous_run: 9, done_above: [12] }));
    const report = JSON.parse((await cli('report-status', '--compare-state', '--json')).stdout);
    expect(report.stages.rechunk.drift.map((d: { kind: string }) => d.kind)).toEqual(['mark_ahead', 'done_not_in_source']);
    expect((await cli('recover-state', 'rechunk')).code).toBe(0);
    expect(comparable(ledger())).toEqual(comparable(clean));
  });
});
