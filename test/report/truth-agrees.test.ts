// report-status and the stages judge "which runs are the stage's work, which are done" by one rule: fed the same folders
// and runs DB, the report's stageTruth and the truth the stage hands the pass harness give the same runs.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/index.js';
import { scanAll } from '../../src/report/build.js';
import { stageTruth, type StageTruth } from '../../src/report/truth.js';
import { openRunStore, type RunStore } from '../../src/rundb/index.js';
import type { TruthRuns } from '../../src/pass/index.js';
import { processTruthOf } from '../../src/stages/auto-process/truth.js';
import { rechunkTruthOf } from '../../src/stages/rechunk.js';
import { rechunkSettings } from '../../src/stages/rechunk/settings.js';
import { BACKENDS, backendWorlds, type BackendWorld } from '../rundb/backends.js';
import { makeTmpDir } from '../support/tmp.js';

const sorted = (runs: Iterable<number>) => [...runs].sort((a, b) => a - b);

/** The report's answer and the stage's answer, each as sorted lists; they must be equal. */
function bothAgree(report: StageTruth, stage: TruthRuns): { sourceRuns: number[]; doneRuns: number[] } {
  const fromReport = { sourceRuns: sorted(report.sourceRuns), doneRuns: sorted(report.done) };
  expect(report.error).toBeNull();
  expect({ sourceRuns: sorted(new Set(stage.sourceRuns)), doneRuns: sorted(stage.doneRuns) }).toEqual(fromReport);
  return fromReport;
}

describe('rechunk: the report and the stage read the same folders the same way', () => {
  let store: RunStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  function world(rechunk: Record<string, unknown>) {
    const dir = makeTmpDir();
    const { config } = configFromObject({ work_dir: 'work', storage: { write_dir: 'work/pre' }, rechunk: { dest_dir: 'work/production', ...rechunk } }, { baseDir: dir, cwd: dir });
    const folders = (sub: string, names: string[]) => {
      for (const name of names) fs.mkdirSync(path.join(dir, 'work', sub, name), { recursive: true });
    };
    // 1 rechunked; 2 processed again after it was rechunked (final folder in both); 3 only a _temp folder in the source;
    // 4 not rechunked yet; 5 a _temp folder in the source next to its rechunked copy; 6 only a _temp folder in dest.
    folders('pre', ['000002-raw_records-abc', '000003-raw_records-abc_temp', '000004-peaklets-def', '000005-peaklets-def_temp']);
    folders('production', ['000001-raw_records-abc', '000002-raw_records-abc', '000005-peaklets-def', '000006-raw_records-abc_temp']);
    return config;
  }

  it('dest_dir without keep_source: done = final folder in dest and none in the source', async () => {
    const config = world({});
    store = await openRunStore(config);
    const stage = rechunkTruthOf(await rechunkSettings(config, store, {}));
    expect(stage).toBeDefined();
    const { scans } = await scanAll({ config, store });
    const agreed = bothAgree(stageTruth('rechunk', scans, config), await stage!());
    expect(agreed).toEqual({ sourceRuns: [1, 2, 3, 4, 5], doneRuns: [1, 5] });
  });

  it('with keep_source the copy alone says done in the report; the stage then takes its marks from the metadata instead', async () => {
    const config = world({ keep_source: true });
    store = await openRunStore(config);
    expect(rechunkTruthOf(await rechunkSettings(config, store, {}))).toBeUndefined();
    const { scans } = await scanAll({ config, store });
    const report = stageTruth('rechunk', scans, config);
    expect({ sourceRuns: sorted(report.sourceRuns), done: sorted(report.done) }).toEqual({ sourceRuns: [1, 2, 3, 4, 5], done: [1, 2, 5] });
  });
});

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`process: the report and auto-process read the same runs DB the same way (${backend.name})`, () => {
    const worlds = backendWorlds(backend);
    let w: BackendWorld | undefined;

    /** A run as the DAQ writes it, then its process state as daqflow's passes record it. */
    async function run(store: RunStore, number: number, mode: string, state?: 'done' | 'abandoned' | 'failed' | 'claimed', legacy?: string): Promise<void> {
      await w!.insertRaw({ number, name: String(number).padStart(6, '0'), mode, ...(legacy ? { bootstrax: { state: legacy } } : {}) });
      if (state) expect(await store.updateStage(number, 'process', { set: { state, host: 'eb2' } })).not.toBeNull();
    }

    it('work = not abandoned and kept by rundb.user_filter; done = process state done, filtered or not (legacy state included)', async () => {
      w = await worlds.fresh({ user_filter: { mode: { $ne: 'calibration' } }, legacy_state: { field: 'bootstrax.state' } });
      const store = await w.open();
      await run(store, 1, 'background', 'done');
      await run(store, 2, 'background');
      await run(store, 3, 'background', 'abandoned');
      await run(store, 4, 'background', 'failed');
      await run(store, 5, 'calibration', 'done'); // filtered out after it was processed
      await run(store, 6, 'calibration'); // filtered out, never processed
      await run(store, 7, 'background', 'claimed');
      await run(store, 8, 'background', undefined, 'done'); // processed by bootstrax
      await run(store, 9, 'background', undefined, 'something_new'); // a legacy value that maps to nothing: pending
      await run(store, 10, 'calibration', 'abandoned');
      await run(store, 11, 'background', 'abandoned', 'done'); // daqflow's state wins over the legacy one
      const { scans } = await scanAll({ config: w.config, store });
      const agreed = bothAgree(stageTruth('process', scans, w.config), await processTruthOf(store));
      expect(agreed).toEqual({ sourceRuns: [1, 2, 4, 7, 8, 9], doneRuns: [1, 5, 8] });
    });

    it('without a user filter or legacy state every run that is not abandoned is work', async () => {
      w = await worlds.fresh();
      const store = await w.open();
      await run(store, 1, 'background', 'done');
      await run(store, 2, 'calibration', 'done');
      await run(store, 3, 'background', 'abandoned');
      await run(store, 4, 'background');
      await run(store, 5, 'background', undefined, 'done'); // no legacy_state configured: bootstrax's field means nothing
      const { scans } = await scanAll({ config: w.config, store });
      const agreed = bothAgree(stageTruth('process', scans, w.config), await processTruthOf(store));
      expect(agreed).toEqual({ sourceRuns: [1, 2, 4, 5], doneRuns: [1, 2] });
    });
  });
}
