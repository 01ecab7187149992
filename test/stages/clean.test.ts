// clean on prepared trees and runs-DB states, on SQLite and on MongoDB (driver against the wire test server).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { memoryLogger } from '../../src/log/memory.js';
import type { RunStore } from '../../src/rundb/index.js';
import { runClean, type CleanOptions } from '../../src/stages/clean.js';
import { sqliteBackend, wireBackend, type Backend, type BackendWorld } from '../rundb/backends.js';
import { age, archiveCopy, cleanWorld, dataset, HOST, HOUR, liveFolder, snapshotTree, treeBytes, type CleanWorld } from './clean-helpers.js';

const ago = (h: number) => new Date(Date.now() - h * HOUR);
const processState = (state: string, extra: Record<string, unknown> = {}) => ({ daqflow: { process: { state, updated_at: ago(48), ...extra } } });
const rucioRaw = (run: number, status = 'transferred') => ({ type: 'raw_records', host: 'rucio-catalogue', location: 'UC_DALI_USERDISK', did: `xnt_${run}:raw_records-abc`, status, protocol: 'rucio' });
const straxenRaw = (run: number) => ({ type: 'raw_records', host: 'dali001', location: `/dali/xenonnt/${run}-raw_records-abc`, protocol: 'FileSytemBackend' });
const entry = (type: string, dir: string, host = HOST) => ({ type, host, location: dir, protocol: 'FileSytemBackend', lineage_hash: path.basename(dir).split('-')[2] });

for (const backend of [sqliteBackend, wireBackend] as Backend[]) {
  describe(`clean on ${backend.name}`, () => {
    let world: BackendWorld;
    let store: RunStore;
    let w: CleanWorld;
    beforeAll(() => backend.setup());
    afterAll(() => backend.teardown());
    beforeEach(async () => {
      world = await backend.world();
      store = await world.open();
      w = cleanWorld(world.config);
      return () => world.cleanup();
    });
    const clean = (options: Partial<CleanOptions> = {}) =>
      runClean({ config: w.config, logger: memoryLogger(), store, dryRun: false, handleSignals: false, currentLineage: new Map([['peaklets', 'newhash']]), ...options });
    const deleted = async (run: number) => ((await store.getRun(run))?.deleted_data ?? []) as Array<Record<string, unknown>>;
    /** The work dir without the SQLite runs-DB files (compared through the runs DB itself). */
    const dataTree = () => snapshotTree(w.config.work_dir).filter((f) => !f.startsWith('runs.sqlite'));
    const locations = async (run: number) => ((await store.getRun(run))?.data ?? []).map((d) => d.location).sort();

    test('live data goes once processing is done and verified and the run is old enough, only with two other raw copies', async () => {
      const l1 = liveFolder(w, 1), l2 = liveFolder(w, 2), l3 = liveFolder(w, 3), l4 = liveFolder(w, 4), l5 = liveFolder(w, 5);
      const live = (dir: string) => ({ type: 'live', host: HOST, location: dir, protocol: 'daq-live' });
      await world.insertRaw({ number: 1, name: '000001', end: ago(48), data: [live(l1), rucioRaw(1), straxenRaw(1)], ...processState('done', { verified_at: ago(40) }) });
      await world.insertRaw({ number: 2, name: '000002', end: ago(48), data: [live(l2), rucioRaw(2)], ...processState('done', { verified_at: ago(40) }) });
      await world.insertRaw({ number: 3, name: '000003', end: ago(2), data: [live(l3), rucioRaw(3), straxenRaw(3)], ...processState('done', { verified_at: ago(1) }) });
      await world.insertRaw({ number: 4, name: '000004', end: ago(48), data: [live(l4), rucioRaw(4), straxenRaw(4)], ...processState('done') });
      await world.insertRaw({ number: 5, name: '000005', end: ago(48), data: [live(l5), rucioRaw(5, 'transferring'), straxenRaw(5)], ...processState('done', { verified_at: ago(40) }) });

      const othersBefore = (await world.readRawEntries(1, 'data')).slice(1);
      const summary = await clean();
      expect(fs.existsSync(l1)).toBe(false);
      // Other software's entries are untouched, in their stored form (BSON bytes in MongoDB): a targeted update, no rewrite.
      expect(await world.readRawEntries(1, 'data')).toEqual(othersBefore);
      for (const kept of [l2, l3, l4, l5]) expect(fs.existsSync(kept), kept).toBe(true);
      expect(await locations(1)).toEqual([straxenRaw(1).location, 'UC_DALI_USERDISK']);
      const [moved] = await deleted(1);
      expect(moved).toMatchObject({ type: 'live', host: HOST, location: l1, by: `daqflow clean on ${HOST}` });
      expect(String(moved!.reason)).toMatch(/^live_done: processing done and verified; run ended 4[78] h ago$/);
      expect((moved!.at as Date).getTime()).toBeGreaterThan(Date.now() - 60_000);
      expect(summary.clean.actions.filter((a) => a.action === 'kept').map((a) => [a.run, a.reason])).toEqual([
        [2, 'only 1 other copy of the raw data (2 needed)'],
        [5, 'only 1 other copy of the raw data (2 needed)'],
      ]);
      expect(summary.done.map((d) => d.run)).toEqual([1]);
    });

    test('a run bootstrax processed (rundb.legacy_state) counts as done and verified while daqflow has no state for it', async () => {
      const legacyWorld = await backend.world({ legacy_state: { field: 'bootstrax.state' } });
      try {
        const legacyStore = await legacyWorld.open();
        const lw = cleanWorld(legacyWorld.config);
        const l1 = liveFolder(lw, 1), l2 = liveFolder(lw, 2);
        const live = (dir: string) => ({ type: 'live', host: HOST, location: dir });
        await legacyWorld.insertRaw({ number: 1, name: '000001', end: ago(48), bootstrax: { state: 'done', host: 'eb2' }, data: [live(l1), rucioRaw(1), straxenRaw(1)] });
        await legacyWorld.insertRaw({ number: 2, name: '000002', end: ago(48), bootstrax: { state: 'failed', host: 'eb2' }, data: [live(l2), rucioRaw(2), straxenRaw(2)] });
        await runClean({ config: lw.config, logger: memoryLogger(), store: legacyStore, dryRun: false, handleSignals: false, currentLineage: new Map() });
        expect([fs.existsSync(l1), fs.existsSync(l2)]).toEqual([false, true]);
      } finally {
        await legacyWorld.cleanup();
      }
    });

    test('abandoned runs lose this host\'s copies that exist elsewhere, never the last one', async () => {
      const peaklets = dataset(w, 6, 'peaklets', 'newhash');
      const events = dataset(w, 6, 'event_info', 'aaaa');
      await world.insertRaw({
        number: 6, name: '000006', end: ago(72),
        data: [entry('peaklets', peaklets), { type: 'peaklets', host: 'dali001', location: '/dali/000006-peaklets-newhash' }, entry('event_info', events)],
        ...processState('abandoned'),
      });
      await clean();
      expect(fs.existsSync(peaklets)).toBe(false);
      expect(fs.existsSync(events)).toBe(true);
      expect((await deleted(6)).map((d) => [d.location, d.reason])).toEqual([[peaklets, 'abandoned: run abandoned 48 h ago']]);
    });

    test('datasets of an outdated lineage go when the type has another copy; the current one stays', async () => {
      const old7 = dataset(w, 7, 'peaklets', 'oldhash');
      const new7 = dataset(w, 7, 'peaklets', 'newhash');
      const old8 = dataset(w, 8, 'peaklets', 'oldhash');
      await world.insertRaw({ number: 7, name: '000007', end: ago(72), data: [entry('peaklets', old7), entry('peaklets', new7)] });
      await world.insertRaw({ number: 8, name: '000008', end: ago(72), data: [entry('peaklets', old8)] });
      const summary = await clean();
      expect([fs.existsSync(old7), fs.existsSync(new7), fs.existsSync(old8)]).toEqual([false, true, true]);
      expect(await locations(7)).toEqual([new7]);
      expect((await deleted(7))[0]).toMatchObject({ location: old7, reason: 'outdated_lineage: lineage oldhash is not the current newhash' });
      expect(summary.clean.actions.find((a) => a.run === 8)).toMatchObject({ action: 'kept', reason: 'only 0 other copies of peaklets (1 needed)' });
    });

    test('entries of this host whose files are gone move to deleted_data; other hosts\' entries stay', async () => {
      const gone = path.join(w.strax, '000009-peaklets-newhash');
      await world.insertRaw({ number: 9, name: '000009', end: ago(72), data: [entry('peaklets', gone), { type: 'peaklets', host: 'dali001', location: '/nowhere/000009-peaklets-newhash' }] });
      await clean();
      expect(await locations(9)).toEqual(['/nowhere/000009-peaklets-newhash']);
      expect((await deleted(9)).map((d) => [d.location, d.reason])).toEqual([[gone, 'missing_files: its files are gone']]);
    });

    test('unregistered folders are moved to the quarantine, never deleted; young ones are left alone', async () => {
      const stray = dataset(w, 10, 'peaklets', 'newhash');
      const orphanLive = liveFolder(w, 11);
      const young = dataset(w, 10, 'event_info', 'bbbb');
      age(stray, 48);
      age(orphanLive, 48);
      await world.insertRaw({ number: 10, name: '000010', end: ago(72), data: [] });
      const before = { stray: snapshotTree(stray), live: snapshotTree(orphanLive) };
      const summary = await clean();
      expect(fs.existsSync(stray) || fs.existsSync(orphanLive)).toBe(false);
      expect(snapshotTree(path.join(w.quarantine, 'strax_data', '000010-peaklets-newhash'))).toEqual(before.stray);
      expect(snapshotTree(path.join(w.quarantine, 'live_data', '000011'))).toEqual(before.live);
      expect(fs.existsSync(young)).toBe(true);
      expect(summary.clean.quarantined).toBe(2);
      expect(await deleted(10)).toEqual([]);
    });

    test('with every rule switched off nothing happens', async () => {
      const l1 = liveFolder(w, 1);
      await world.insertRaw({ number: 1, name: '000001', end: ago(48), data: [{ type: 'live', host: HOST, location: l1 }, rucioRaw(1), straxenRaw(1)], ...processState('done', { verified_at: ago(40) }) });
      const off = { live_done: false, abandoned: false, outdated_lineage: false, missing_files: false, unregistered: false, free_space: false };
      const { config } = cleanWorld(world.config, { rules: off });
      const summary = await runClean({ config, logger: memoryLogger(), store, dryRun: false, handleSignals: false });
      expect(fs.existsSync(l1)).toBe(true);
      expect(summary.clean.actions).toEqual([]);
    });

    test('a dry run changes nothing on disk or in the runs DB, and reports what a real pass then does', async () => {
      const l1 = liveFolder(w, 1);
      const old7 = dataset(w, 7, 'peaklets', 'oldhash');
      const new7 = dataset(w, 7, 'peaklets', 'newhash');
      age(dataset(w, 12, 'peaklets', 'newhash'), 48);
      await world.insertRaw({ number: 1, name: '000001', end: ago(48), data: [{ type: 'live', host: HOST, location: l1 }, rucioRaw(1), straxenRaw(1)], ...processState('done', { verified_at: ago(40) }) });
      await world.insertRaw({ number: 7, name: '000007', end: ago(72), data: [entry('peaklets', old7), entry('peaklets', new7), entry('event_info', path.join(w.strax, '000007-event_info-gone'))] });
      const tree = dataTree();
      expect(tree.length).toBeGreaterThan(10);
      const docs = await Promise.all([1, 7].map(async (n) => JSON.stringify(await world.readRaw(n))));
      const dry = await clean({ dryRun: true });
      expect(dataTree()).toEqual(tree);
      expect(await Promise.all([1, 7].map(async (n) => JSON.stringify(await world.readRaw(n))))).toEqual(docs);
      const plan = dry.clean.actions.map((a) => [a.run, a.rule, a.action, a.location]);
      expect(plan).toEqual([
        [1, 'live_done', 'delete', l1],
        [7, 'missing_files', 'forget', path.join(w.strax, '000007-event_info-gone')],
        [7, 'outdated_lineage', 'delete', old7],
        [12, 'unregistered', 'quarantine', path.join(w.strax, '000012-peaklets-newhash')],
      ]);
      const real = await clean();
      expect(real.clean.actions.map((a) => [a.run, a.rule, a.action, a.location])).toEqual(plan);
    });

    test('free-space mode goes oldest first, only with an identical archive copy, and stops once the target is met', async () => {
      const MB = 1_000_000;
      const dirs = new Map<number, string>();
      for (const run of [20, 21, 22, 23, 24]) {
        const dir = dataset(w, run, 'peaklets', 'newhash', MB);
        dirs.set(run, dir);
        const archived = await archiveCopy(w, run, [{ type: 'peaklets', dir }]);
        await world.insertRaw({ number: run, name: `0000${run}`, end: run === 24 ? ago(24) : ago(24 * 30 - run), data: [entry('peaklets', dir), archived] });
      }
      // Run 20's copy here differs from its archived one in one byte (same size): it must never be removed.
      const file = path.join(dirs.get(20)!, 'peaklets-newhash-000000');
      const bytes = fs.readFileSync(file);
      bytes[1000] ^= 1;
      fs.writeFileSync(file, bytes);
      // A 5.3 MB quota holding 5 MB: 0.3 MB free. The target 1.5 MB is met after two deletions.
      const quota = 5.3 * MB;
      const statfs = async () => ({ freeBytes: quota - treeBytes(w.strax), totalBytes: quota });
      const { config } = cleanWorld(world.config, { min_free_space_gb: 0.0015, min_age_days: 7 });
      const run = (dryRun: boolean) => runClean({ config, logger: memoryLogger(), store, dryRun, handleSignals: false, statfs, currentLineage: new Map(), archive: w.archive });

      const dry = await run(true);
      expect(dry.clean.actions.filter((a) => a.rule === 'free_space').map((a) => [a.run, a.action])).toEqual([[20, 'kept'], [21, 'delete'], [22, 'delete']]);
      const summary = await run(false);
      const freeSpace = summary.clean.actions.filter((a) => a.rule === 'free_space');
      expect(freeSpace.map((a) => [a.run, a.action])).toEqual([[20, 'kept'], [21, 'delete'], [22, 'delete']]);
      expect(freeSpace[0]!.reason).toMatch(/^no identical copy: archive copy .* differs \(peaklets-newhash-000000: md5 [0-9a-f]{32} here, [0-9a-f]{32} in the copy\)$/);
      expect([20, 21, 22, 23, 24].map((r) => fs.existsSync(dirs.get(r)!))).toEqual([true, false, false, true, true]);
      expect(quota - treeBytes(w.strax)).toBeGreaterThanOrEqual(1.5 * MB);
      expect((await deleted(21))[0]).toMatchObject({ location: dirs.get(21), by: `daqflow clean on ${HOST}` });
      expect(String((await deleted(21))[0]!.reason)).toMatch(/^free_space: freeing space; run ended 29\.\d days ago; identical copy at .*000021\.tar$/);
    });

    test('a deletion a killed pass recorded but did not finish is finished by the next pass', async () => {
      const old7 = dataset(w, 7, 'peaklets', 'oldhash');
      await world.insertRaw({ number: 7, name: '000007', end: ago(72), data: [entry('peaklets', old7)] });
      // What a pass killed between its runs-DB write and the removal leaves behind.
      await store.removeData(7, { type: 'peaklets', host: HOST, location: old7 }, { by: `daqflow clean on ${HOST}`, reason: 'outdated_lineage: lineage oldhash is not the current newhash' });
      const summary = await clean();
      expect(fs.existsSync(old7)).toBe(false);
      expect(fs.existsSync(w.quarantine)).toBe(false);
      expect(summary.clean.actions.map((a) => [a.rule, a.action])).toEqual([['unfinished', 'finish']]);
    });
  });
}
