// The RunStore contract: every backend (sqlite, mongo via the wire server, real mongod when MONGODB_URI is set) must pass it.
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { memoryLogger } from '../../src/log/index.js';
import { stageOf, stageStateOf, type RunDoc, type RunStore } from '../../src/rundb/index.js';
import { BACKENDS, backendWorlds, type BackendWorld, type RundbOverrides } from './backends.js';

const T0 = new Date('2026-11-21T06:00:00.000Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

/** A XENONnT-style run document as the DAQ writes it (fields daqflow does not own). */
function xenonRun(number: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    number,
    name: String(number).padStart(6, '0'),
    start: minutes(-60),
    end: minutes(-30),
    mode: number % 2 === 0 ? 'background_linked' : 'tpc_kr83m',
    source: 'none',
    tags: [{ name: number % 3 === 0 ? 'blinded' : 'ok', user: 'daq' }],
    detectors: ['tpc'],
    rate: { tpc: { max: 120.5 } },
    run_record: { comments: [{ comment: 'fine', date: minutes(-45) }] },
    ...extra,
  };
}

const names = (runs: RunDoc[]) => runs.map((r) => r.number);

if (!process.env.MONGODB_URI) console.log('MONGODB_URI not set: real mongod contract run skipped');

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`RunStore contract: ${backend.name}`, () => {
    const worlds = backendWorlds(backend);
    let w: BackendWorld | undefined;

    async function open(rundb: RundbOverrides = {}, now = () => T0): Promise<RunStore> {
      w = await worlds.fresh(rundb);
      return w.open({ now });
    }

    async function seed(store: RunStore, numbers: number[]): Promise<void> {
      for (const n of numbers) await store.upsertRun(xenonRun(n) as never);
    }

    describe('runs', () => {
      test('upsertRun creates a run and getRun returns it with Dates as Dates', async () => {
        const store = await open();
        const result = await store.upsertRun(xenonRun(12100) as never);
        expect(result.created).toBe(true);
        const run = await store.getRun(12100);
        expect(run).toMatchObject({ number: 12100, name: '012100', mode: 'background_linked' });
        expect(run!.start).toBeInstanceOf(Date);
        expect(run!.start!.getTime()).toBe(minutes(-60).getTime());
        expect((run!.run_record as { comments: Array<{ date: Date }> }).comments[0]!.date).toEqual(minutes(-45));
        expect(run).not.toHaveProperty('_id');
      });

      test('upsertRun sets only the given top-level fields and keeps foreign ones', async () => {
        const store = await open();
        await w!.insertRaw(xenonRun(12101, { daq_config: { board: 7 }, status: 'transferred' }));
        const result = await store.upsertRun({ number: 12101, end: minutes(5), mode: 'calibration' });
        expect(result.created).toBe(false);
        expect(result.run).toMatchObject({ number: 12101, mode: 'calibration', daq_config: { board: 7 }, status: 'transferred', rate: { tpc: { max: 120.5 } } });
        expect(result.run.end).toEqual(minutes(5));
        const raw = await w!.readRaw(12101);
        expect(raw).toMatchObject({ daq_config: { board: 7 }, status: 'transferred', tags: [{ name: 'ok', user: 'daq' }] });
      });

      test('upsertRun writes data and deleted_data only when it creates the run; an existing run keeps its lists', async () => {
        const store = await open();
        const theirs = [{ type: 'raw_records', host: 'rucio-catalogue', location: 'UC_DALI_USERDISK' }];
        await w!.insertRaw(xenonRun(1, { data: theirs }));
        await store.upsertRun({ number: 1, mode: 'm', data: [], deleted_data: [] });
        await store.upsertRuns([{ number: 1, data: [] }]);
        expect(await store.getRun(1)).toMatchObject({ mode: 'm', data: theirs });
        expect(await store.getRun(1)).not.toHaveProperty('deleted_data');
        await store.upsertRun({ number: 2, data: theirs as never });
        await store.upsertRuns([{ number: 3, data: theirs as never }]);
        expect((await store.getRun(2))!.data).toEqual(theirs);
        expect((await store.getRun(3))!.data).toEqual(theirs);
      });

      test('upsertRuns registers many runs at once with the same merge semantics', async () => {
        const store = await open();
        await w!.insertRaw(xenonRun(3, { status: 'transferred' }));
        const result = await store.upsertRuns([1, 2, 3, 4].map((n) => ({ number: n, mode: 'bulk' })));
        expect(result).toEqual({ created: 3, updated: 1 });
        expect(await store.getRun(3)).toMatchObject({ number: 3, mode: 'bulk', status: 'transferred', name: '000003' });
        expect(names(await store.listRuns({ stage: 'process', states: ['pending'] }))).toEqual([1, 2, 3, 4]);
        await expect(store.upsertRuns([{ number: 5 }, { number: 2.5 }])).rejects.toBeInstanceOf(ConfigError);
        expect(await store.getRun(5)).toBeNull();
      });

      test('getRun returns null for a missing run and rejects a non-integer run number', async () => {
        const store = await open();
        expect(await store.getRun(5)).toBeNull();
        await expect(store.getRun(1.5)).rejects.toBeInstanceOf(ConfigError);
        await expect(store.upsertRun({ number: -1 })).rejects.toThrow(/not a run number/);
      });

      test('listRuns selects by number window, explicit numbers, order and limit', async () => {
        const store = await open();
        await seed(store, [10, 11, 12, 13, 14, 15]);
        expect(names(await store.listRuns({ min: 11, max: 13 }))).toEqual([11, 12, 13]);
        expect(names(await store.listRuns({ numbers: [15, 10, 99] }))).toEqual([10, 15]);
        expect(names(await store.listRuns({ order: 'desc', limit: 2 }))).toEqual([15, 14]);
        expect(await store.countRuns({ min: 12 })).toBe(4);
      });

      test('listRuns by stage state counts a missing sub-document as pending', async () => {
        const store = await open();
        await seed(store, [1, 2, 3, 4]);
        await store.updateStage(2, 'process', { set: { state: 'done' } });
        await store.updateStage(3, 'process', { set: { state: 'failed' } });
        await store.updateStage(4, 'import', { set: { state: 'done' } });
        expect(names(await store.listRuns({ stage: 'process', states: ['pending'] }))).toEqual([1, 4]);
        expect(names(await store.listRuns({ stage: 'process', states: ['done', 'failed'] }))).toEqual([2, 3]);
        expect(names(await store.listRuns({ stage: 'import', states: ['done'] }))).toEqual([4]);
        expect(await store.countRuns({ stage: 'process', states: ['pending', 'failed'] })).toBe(3);
        await expect(store.listRuns({ states: ['done'] })).rejects.toThrow(/need a stage/);
        await expect(store.listRuns({ stage: 'process', states: ['bogus' as never] })).rejects.toThrow(/not a process state/);
      });

      test('dueBy leaves out runs whose next_retry is in the future', async () => {
        const store = await open();
        await seed(store, [1, 2, 3, 4]);
        await store.updateStage(1, 'process', { set: { state: 'failed', next_retry: minutes(-5) } });
        await store.updateStage(2, 'process', { set: { state: 'failed', next_retry: minutes(30) } });
        await store.updateStage(3, 'process', { set: { state: 'failed' } });
        const eligible = await store.listRuns({ stage: 'process', states: ['pending', 'failed'], dueBy: T0 });
        expect(names(eligible)).toEqual([1, 3, 4]);
        expect(names(await store.listRuns({ stage: 'process', states: ['failed'], dueBy: minutes(60) }))).toEqual([1, 2, 3]);
        expect(eligible[0]![store.stateField]).toMatchObject({ process: { next_retry: minutes(-5) } });
      });
    });

    describe('user filter (rundb.user_filter)', () => {
      async function filtered(userFilter: Record<string, unknown>): Promise<number[]> {
        const store = await open({ user_filter: userFilter });
        await seed(store, [1, 2, 3, 4, 5, 6]);
        await store.upsertRun({ number: 4, source: 'kr83m', run_record: { trigger: { threshold: 12 } } });
        const result = names(await store.listRuns());
        expect(await store.countRuns()).toBe(result.length);
        return result;
      }

      test('$in on a top-level field', async () => {
        expect(await filtered({ number: { $in: [2, 5, 7] } })).toEqual([2, 5]);
      });

      test('$gt and $ne', async () => {
        expect(await filtered({ number: { $gt: 3 }, mode: { $ne: 'tpc_kr83m' } })).toEqual([4, 6]);
      });

      test('$exists and nested fields with dotted paths', async () => {
        expect(await filtered({ 'run_record.trigger.threshold': { $exists: true } })).toEqual([4]);
        await w!.cleanup();
        expect(await filtered({ 'run_record.trigger.threshold': { $gte: 10 } })).toEqual([4]);
      });

      test('$regex and array-of-subdocument fields', async () => {
        expect(await filtered({ name: { $regex: '^00000[1-3]$' } })).toEqual([1, 2, 3]);
        await w!.cleanup();
        expect(await filtered({ 'tags.name': { $nin: ['blinded'] } })).toEqual([1, 2, 4, 5]);
      });

      test('applies to claimNext and can be bypassed with userFilter: false', async () => {
        const store = await open({ user_filter: { mode: 'tpc_kr83m' } });
        await seed(store, [2, 3, 4, 5]);
        expect(names(await store.listRuns({ userFilter: false }))).toEqual([2, 3, 4, 5]);
        const claimed = await store.claimNext('process', { from: ['pending'], to: 'claimed', host: 'h1' });
        expect(claimed?.number).toBe(3);
        expect((await store.claimRun(2, 'process', { from: ['pending'], to: 'claimed', host: 'h1' }))?.number).toBe(2);
      });

      test('an unknown operator is a ConfigError naming rundb.user_filter', async () => {
        const error = await open({ user_filter: { number: { $foo: 3 } } }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).shortMessage).toMatch(/^rundb\.user_filter: .*\$foo/);
        expect((error as ConfigError).exitCode).toBe(3);
      });
    });

    describe('claims', () => {
      test('claimRun moves pending to claimed for a host and sets updated_at', async () => {
        const store = await open();
        await seed(store, [7]);
        const run = await store.claimRun(7, 'process', { from: ['pending', 'failed'], to: 'claimed', host: 'eb1', set: { targets: ['event_info'] } });
        expect(run![store.stateField]).toEqual({ process: { state: 'claimed', host: 'eb1', targets: ['event_info'], claim_id: expect.any(String), updated_at: T0 } });
        expect(await store.claimRun(7, 'process', { from: ['pending', 'failed'], to: 'claimed', host: 'eb2' })).toBeNull();
        expect((await store.getRun(7))![store.stateField]).toMatchObject({ process: { host: 'eb1' } });
      });

      test('claimRun returns null for a missing run, a wrong state or a retry not yet due', async () => {
        const store = await open();
        await seed(store, [1, 2]);
        await store.updateStage(2, 'process', { set: { state: 'failed', next_retry: minutes(10) } });
        expect(await store.claimRun(99, 'process', { from: ['pending'], to: 'claimed', host: 'h' })).toBeNull();
        expect(await store.claimRun(2, 'process', { from: ['pending'], to: 'claimed', host: 'h' })).toBeNull();
        expect(await store.claimRun(2, 'process', { from: ['failed'], to: 'claimed', host: 'h', dueBy: T0 })).toBeNull();
        expect(await store.claimRun(2, 'process', { from: ['failed'], to: 'claimed', host: 'h', dueBy: minutes(10) })).not.toBeNull();
      });

      test('claimNext takes the lowest eligible run in the window and null when none is left', async () => {
        const store = await open();
        await seed(store, [1, 2, 3, 4, 5]);
        await store.updateStage(2, 'process', { set: { state: 'done' } });
        const opts = { from: ['pending'] as const, to: 'claimed' as const, host: 'h', query: { min: 2, max: 4 } };
        expect((await store.claimNext('process', { ...opts, from: ['pending'] }))?.number).toBe(3);
        expect((await store.claimNext('process', { ...opts, from: ['pending'] }))?.number).toBe(4);
        expect(await store.claimNext('process', { ...opts, from: ['pending'] })).toBeNull();
        expect((await store.claimNext('process', { from: ['pending'], to: 'claimed', host: 'h', query: { order: 'desc' } }))?.number).toBe(5);
      });

      test('concurrent claims on one run from two store instances: exactly one wins', async () => {
        const a = await open();
        const b = await w!.open({ now: () => T0 });
        await seed(a, [1]);
        const attempts = Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).claimRun(1, 'process', { from: ['pending'], to: 'claimed', host: `h${i}` }),
        );
        const won = (await Promise.all(attempts)).filter((r) => r !== null);
        expect(won).toHaveLength(1);
      });
    });

    describe('stage updates', () => {
      test('updateStage sets, unsets and increments fields of the stage sub-document', async () => {
        const store = await open();
        await seed(store, [1]);
        await store.updateStage(1, 'process', { set: { state: 'failed', reason: 'boom', job_id: '42', next_retry: minutes(5) }, incFailures: 1 });
        const run = await store.updateStage(1, 'process', { set: { state: 'submitted', scheduler: 'slurm' }, unset: ['reason', 'next_retry'], incFailures: 1 });
        expect(run![store.stateField]).toEqual({ process: { state: 'submitted', job_id: '42', scheduler: 'slurm', n_failures: 2, updated_at: T0 } });
        expect(stageStateOf(run!, store.stateField, 'process')).toBe('submitted');
        expect(stageStateOf(run!, store.stateField, 'migrate')).toBe('pending');
      });

      test('updateStages applies many guarded updates in one call and counts those whose guards held', async () => {
        const store = await open();
        await seed(store, [1, 2, 3, 4]);
        const claims = new Map<number, string>();
        for (const n of [1, 2, 3]) claims.set(n, stageOf((await store.claimRun(n, 'process', { from: ['pending'], to: 'claimed', host: 'h' }))!, store.stateField, 'process')!.claim_id as string);
        await store.updateStage(2, 'process', { set: { state: 'running' } });
        const submitted = (n: number, claimId: string) => ({ number: n, update: { set: { state: 'submitted' as const, job_id: `j${n}` }, expect: ['claimed' as const], expectClaimId: claimId } });
        // 1 holds; 2 is running now; 3 carries another claim id; 4 was never claimed; 99 does not exist.
        const n = await store.updateStages('process', [submitted(1, claims.get(1)!), submitted(2, claims.get(2)!), submitted(3, 'other'), submitted(4, 'x'), submitted(99, 'x')]);
        expect(n).toBe(1);
        const state = async (r: number) => stageOf((await store.getRun(r))!, store.stateField, 'process');
        expect(await state(1)).toMatchObject({ state: 'submitted', job_id: 'j1', claim_id: claims.get(1) });
        expect(await state(2)).toMatchObject({ state: 'running' });
        expect((await state(2))!.job_id).toBeUndefined();
        expect(await state(3)).toMatchObject({ state: 'claimed' });
        expect(await state(4)).toBeUndefined();
        expect(await store.updateStages('process', [])).toBe(0);
      });

      test('updateStage with an expect guard changes nothing when the state differs', async () => {
        const store = await open();
        await seed(store, [1]);
        await store.updateStage(1, 'process', { set: { state: 'running', host: 'a' } });
        expect(await store.updateStage(1, 'process', { set: { state: 'done' }, expect: ['submitted'] })).toBeNull();
        expect((await store.getRun(1))![store.stateField]).toMatchObject({ process: { state: 'running' } });
        expect(await store.updateStage(1, 'process', { set: { state: 'done' }, expect: ['running'] })).not.toBeNull();
        expect(await store.updateStage(2, 'process', { set: { state: 'done' } })).toBeNull();
      });

      test('updateStage with expectClaimId releases only the claim it names (the stale-claim rule), never a newer one', async () => {
        const store = await open();
        await seed(store, [1]);
        const first = (await store.claimRun(1, 'process', { from: ['pending'], to: 'claimed', host: 'a' }))!;
        const firstId = stageOf(first, store.stateField, 'process')!.claim_id as string;
        await store.updateStage(1, 'process', { set: { state: 'pending' }, expect: ['claimed'], expectClaimId: firstId });
        const second = (await store.claimRun(1, 'process', { from: ['pending'], to: 'claimed', host: 'b' }))!;
        expect(stageOf(second, store.stateField, 'process')!.claim_id).not.toBe(firstId);
        // A late release of the first (stale) claim must not undo the second.
        expect(await store.updateStage(1, 'process', { set: { state: 'pending' }, expect: ['claimed'], expectClaimId: firstId })).toBeNull();
        expect((await store.getRun(1))![store.stateField]).toMatchObject({ process: { state: 'claimed', host: 'b' } });
      });

      test('the state field name is configurable', async () => {
        const store = await open({ state_field: 'proc' });
        await seed(store, [1]);
        await store.claimRun(1, 'process', { from: ['pending'], to: 'claimed', host: 'h' });
        const raw = await w!.readRaw(1);
        expect(raw).toHaveProperty('proc.process.state', 'claimed');
        expect(raw).not.toHaveProperty('daqflow');
        expect(names(await store.listRuns({ stage: 'process', states: ['claimed'] }))).toEqual([1]);
      });
    });

    describe('data entries', () => {
      const entry = { type: 'raw_records', host: 'eb1', location: '/data/012100-raw_records-abc', lineage_hash: 'abc', n_chunks: 3, size_mb: 10.5, compressor: 'zstd' };
      /** What the store keeps: strax's protocol name after the identifying fields. */
      const stored = (e: Record<string, unknown>) => ({ ...e, protocol: 'FileSytemBackend' });

      test('addData appends, and replaces the entry with the same type, host and location', async () => {
        const store = await open();
        await seed(store, [1]);
        await store.addData(1, entry);
        await store.addData(1, { ...entry, location: '/other' });
        const run = await store.addData(1, { ...entry, n_chunks: 4, at: minutes(1) });
        expect(run!.data).toEqual([stored({ ...entry, n_chunks: 4, at: minutes(1) })]);
        expect((await store.getRun(1))!.data).toEqual([
          stored({ ...entry, n_chunks: 4, at: minutes(1) }),
          stored({ ...entry, location: '/other', at: T0 }),
        ]);
        expect(await store.addData(99, entry)).toBeNull();
        await expect(store.addData(1, { ...entry, host: '' })).rejects.toThrow(/non-empty host/);
      });

      test('removeData moves matching entries to deleted_data with at, by and reason', async () => {
        const store = await open({}, () => minutes(60));
        await seed(store, [1]);
        await w!.insertRaw({ number: 2 });
        await store.addData(1, { ...entry, at: minutes(1) });
        await store.addData(1, { ...entry, type: 'peaklets', location: '/p' });
        const moved = await store.removeData(1, { type: 'raw_records', host: 'eb1' }, { by: 'ajax.eb1', reason: 'processed and older than 24 h' });
        expect(moved).toEqual([stored({ ...entry, added_at: minutes(1), at: minutes(60), by: 'ajax.eb1', reason: 'processed and older than 24 h' })]);
        const run = await store.getRun(1);
        expect(run!.data!.map((d) => d.type)).toEqual(['peaklets']);
        expect(run!.deleted_data).toEqual(moved);
        expect(await store.removeData(1, { type: 'raw_records' }, { by: 'x', reason: 'y' })).toEqual([]);
        expect(await store.removeData(2, { type: 'raw_records' }, { by: 'x', reason: 'y' })).toEqual([]);
      });
    });

    describe('hosts, monitor, config', () => {
      test('heartbeat upserts by host and command; listHosts reports last seen', async () => {
        let now = T0;
        const store = await open({}, () => now);
        await store.heartbeat({ host: 'eb1', command: 'auto-process', pid: 10, state: 'idle', version: '0.1.0' });
        await store.heartbeat({ host: 'eb2', command: 'auto-process', pid: 11, state: 'busy', version: '0.1.0' });
        now = minutes(10);
        await store.heartbeat({ host: 'eb1', command: 'auto-process', pid: 12, state: 'busy', version: '0.1.0' });
        await store.heartbeat({ host: 'eb1', command: 'clean', pid: 13, state: 'idle', version: '0.1.0', time: minutes(9) });
        const hosts = await store.listHosts();
        expect(hosts.map((h) => [h.host, h.command, h.pid, h.time.toISOString()])).toEqual([
          ['eb1', 'auto-process', 12, minutes(10).toISOString()],
          ['eb1', 'clean', 13, minutes(9).toISOString()],
          ['eb2', 'auto-process', 11, T0.toISOString()],
        ]);
        expect((await store.listHosts({ since: minutes(5) })).map((h) => h.pid)).toEqual([12, 13]);
      });

      test('monitor samples are capped; the newest are kept in time order', async () => {
        let i = 0;
        const store = await open({ monitor_cap_bytes: 4096 }, () => minutes(i));
        for (; i < 12; i++) await store.addMonitorSample({ host: 'eb1', i, pad: 'x'.repeat(900) });
        const all = await store.listMonitorSamples();
        expect(all.length).toBeGreaterThan(0);
        expect(all.length).toBeLessThan(12);
        expect(all.at(-1)).toMatchObject({ i: 11, time: minutes(11) });
        expect(all.map((s) => s.i)).toEqual([...all.map((s) => s.i)].sort((a, b) => Number(a) - Number(b)));
        expect((await store.listMonitorSamples({ limit: 2 })).map((s) => s.i)).toEqual([10, 11]);
        expect((await store.listMonitorSamples({ since: minutes(11) })).map((s) => s.i)).toEqual([11]);
      });

      test('config override documents are found by name and replaced by setConfigDoc', async () => {
        const store = await open();
        expect(await store.getConfigDoc('auto_process')).toBeNull();
        await store.setConfigDoc('auto_process', { enabled: false, max_jobs: 3 });
        await store.setConfigDoc('auto_process', { enabled: true });
        await store.setConfigDoc('rechunk', { target_mb: 1000 });
        expect(await store.getConfigDoc('auto_process')).toEqual({ name: 'auto_process', enabled: true, updated_at: T0 });
      });
    });

    describe('a runs database shared with other software', () => {
      const own = { type: 'peaklets', host: 'eb1', location: '/data/012100-peaklets-abc', lineage_hash: 'abc', n_chunks: 2 };

      test('entries of other software (int64 fields, unknown keys, other hosts) survive every daqflow operation byte for byte', async () => {
        const store = await open();
        const rucio = {
          type: 'raw_records', host: 'rucio-catalogue', location: 'UC_DALI_USERDISK', did: 'xnt_012100:raw_records-rfzvpzj4mf', status: 'transferred',
          file_count: w!.int64(1234), size_mb: w!.double(100), meta: { lineage_hash: 'rfzvpzj4mf', strax_version: '1.6.0' },
        };
        const otherHost = {
          type: 'peaks', host: 'eb3', location: '/data/xenonnt_processed/012100-peaks-xyz', protocol: 'FileSytemBackend',
          meta: { chunks: w!.int64(12), size_mb: w!.double(3) }, checksum: 'e3b0', custom: { nested: [w!.int64(2), 'x'] },
        };
        // One of daqflow's own entries that data management annotated with fields daqflow does not know.
        const annotated = { ...own, protocol: 'FileSytemBackend', at: T0, did: 'xnt_012100:peaklets-abc', rse: ['LNGS_USERDISK'] };
        const oldDeleted = { type: 'records', host: 'eb2', location: '/old', at: T0, by: 'ajax', reason: 'old', n: w!.int64(5) };
        await w!.insertRaw(xenonRun(12100, { data: [rucio, annotated, otherHost], deleted_data: [oldDeleted], bootstrax: { state: 'done', host: 'eb2', n: w!.int64(7) } }));
        const data = await w!.readRawEntries(12100, 'data');
        const deleted = await w!.readRawEntries(12100, 'deleted_data');
        const bootstrax = await w!.readRawEntries(12100, 'tags');

        await store.upsertRun({ number: 12100, end: minutes(1) });
        await store.upsertRuns([{ number: 12100, mode: 'background_linked' }]);
        await store.claimRun(12100, 'process', { from: ['pending'], to: 'claimed', host: 'eb1' });
        await store.updateStage(12100, 'process', { set: { state: 'running' }, unset: ['job_id'], incFailures: 1 });
        const fresh = { type: 'event_info', host: 'eb1', location: '/data/012100-event_info-abc', lineage_hash: 'abc', n_chunks: 1 };
        await store.addData(12100, fresh);
        await store.addData(12100, { ...fresh, n_chunks: 2 });
        await store.addData(12100, { ...own, n_chunks: 3 });
        expect(await store.removeData(12100, { type: 'event_info', host: 'eb1' }, { by: 'clean.eb1', reason: 'test' })).toHaveLength(1);
        await store.listRuns({ stage: 'process', states: ['running'] });
        await store.countRuns({ min: 1 });

        const after = await w!.readRawEntries(12100, 'data');
        expect(after).toHaveLength(3);
        expect(after[0]).toBe(data[0]);
        expect(after[2]).toBe(data[2]);
        expect((await w!.readRawEntries(12100, 'deleted_data'))[0]).toBe(deleted[0]);
        expect(await w!.readRawEntries(12100, 'tags')).toEqual(bootstrax);
        const run = (await store.getRun(12100))!;
        expect(run.data![1]).toEqual({ ...annotated, n_chunks: 3 });
        expect(run.bootstrax).toEqual({ state: 'done', host: 'eb2', n: 7 });
      });

      test('run numbers stored as double or int64 (as mongosh and pymongo write them) are found, listed, claimed and get data', async () => {
        const store = await open();
        await w!.insertRaw(xenonRun(12100, { number: w!.double(12100) }));
        await w!.insertRaw(xenonRun(12101, { number: w!.int64(12101) }));
        expect(names(await store.listRuns())).toEqual([12100, 12101]);
        expect((await store.getRun(12100))?.name).toBe('012100');
        expect((await store.claimRun(12101, 'process', { from: ['pending'], to: 'claimed', host: 'h' }))?.number).toBe(12101);
        expect((await store.claimNext('process', { from: ['pending'], to: 'claimed', host: 'h' }))?.number).toBe(12100);
        expect((await store.addData(12100, own))?.data).toHaveLength(1);
        expect(await store.countRuns({ stage: 'process', states: ['claimed'] })).toBe(2);
      });

      test('concurrent upserts (upsertRun, upsertRuns) of new runs from 10 store instances leave exactly one document per run', async () => {
        const first = await open();
        const stores = [first, ...(await Promise.all(Array.from({ length: 9 }, () => w!.open({ now: () => T0 }))))];
        backend.setLatency?.({ minMs: 20, maxMs: 60 });
        try {
          const results = await Promise.all(stores.map((s, i) => s.upsertRun({ number: 777, [`by${i}`]: true })));
          expect(results.filter((r) => r.created)).toHaveLength(1);
          const bulk = await Promise.all(stores.map((s, i) => s.upsertRuns([{ number: 778, [`by${i}`]: true }, { number: 779, [`by${i}`]: true }])));
          expect(bulk.reduce((n, r) => n + r.created, 0)).toBe(2);
          expect(bulk.every((r) => r.created + r.updated === 2)).toBe(true);
        } finally {
          backend.setLatency?.(null);
        }
        expect(await first.countRuns()).toBe(3);
        const run = (await first.getRun(777))!;
        expect(Object.keys(run).filter((k) => k.startsWith('by')).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `by${i}`).sort());
      });

      test('addTag / removeTag change only the named tag, in place: other software\'s tags stay byte for byte, none is duplicated', async () => {
        const store = await open();
        await w!.insertRaw(xenonRun(12100, { tags: [{ name: 'blinded', user: 'daq', n: w!.int64(3) }, { name: 'hold', user: 'ops', date: T0 }, { name: 'bad_pmt' }] }));
        await w!.insertRaw(xenonRun(12101, { tags: undefined }));
        const before = await w!.readRawEntries(12100, 'tags');
        expect(await store.addTag(12100, { name: 'hold', user: 'me' })).toBe(false);
        expect(await store.removeTag(12100, 'hold')).toBe(true);
        expect(await store.removeTag(12100, 'hold')).toBe(false);
        expect(await w!.readRawEntries(12100, 'tags')).toEqual([before[0], before[2]]);
        expect(await store.addTag(12100, { name: 'hold', user: 'me', date: minutes(5) })).toBe(true);
        const after = await w!.readRawEntries(12100, 'tags');
        expect(after.slice(0, 2)).toEqual([before[0], before[2]]);
        expect((await store.getRun(12100))!.tags).toEqual([{ name: 'blinded', user: 'daq', n: 3 }, { name: 'bad_pmt' }, { name: 'hold', user: 'me', date: minutes(5) }]);
        // A run without tags gets its first one; a run that does not exist is reported, not created.
        expect(await store.addTag(12101, { name: 'hold' })).toBe(true);
        expect((await store.getRun(12101))!.tags).toEqual([{ name: 'hold' }]);
        expect(await store.addTag(99999, { name: 'hold' })).toBe(false);
        expect(await store.removeTag(99999, 'hold')).toBe(false);
        expect(await store.getRun(99999)).toBeNull();
      });

      test('concurrent addTag / removeTag on one run from 10 store instances: no change is lost', async () => {
        const first = await open();
        await w!.insertRaw(xenonRun(7, { tags: Array.from({ length: 10 }, (_, i) => ({ name: `old${i}`, user: 'daq' })) }));
        const stores = [first, ...(await Promise.all(Array.from({ length: 9 }, () => w!.open({ now: () => T0 }))))];
        backend.setLatency?.({ minMs: 0, maxMs: 10 });
        try {
          await Promise.all(stores.flatMap((s, i) => [s.addTag(7, { name: `new${i}`, user: `op${i}` }), s.removeTag(7, `old${i}`), s.addTag(7, { name: 'hold', user: `op${i}` })]));
        } finally {
          backend.setLatency?.(null);
        }
        const tags = (await first.getRun(7))!.tags!.map((t) => t.name);
        expect(tags.filter((n) => n === 'hold')).toHaveLength(1);
        expect(tags.filter((n) => n !== 'hold').sort()).toEqual(Array.from({ length: 10 }, (_, i) => `new${i}`).sort());
      });

      test('concurrent addData on one run from 10 store instances: every entry is there exactly once', async () => {
        const first = await open();
        await seed(first, [5]);
        await w!.insertRaw({ number: 6, data: [{ type: 'live', host: 'daq', location: '/live/6' }] });
        const stores = [first, ...(await Promise.all(Array.from({ length: 9 }, () => w!.open({ now: () => T0 }))))];
        backend.setLatency?.({ minMs: 0, maxMs: 10 });
        try {
          await Promise.all(
            stores.flatMap((s, i) => [
              s.addData(5, { type: `type${i}`, host: 'eb1', location: `/d/${i}` }),
              s.addData(5, { type: 'shared', host: 'eb1', location: '/d/shared', n_chunks: i }),
              s.addData(6, { type: `type${i}`, host: `eb${i}`, location: '/d' }),
            ]),
          );
        } finally {
          backend.setLatency?.(null);
        }
        const five = (await first.getRun(5))!.data!;
        expect(five.map((e) => e.type).sort()).toEqual(['shared', ...Array.from({ length: 10 }, (_, i) => `type${i}`)].sort());
        expect((await first.getRun(6))!.data!.map((e) => e.host).sort()).toEqual(['daq', ...Array.from({ length: 10 }, (_, i) => `eb${i}`)].sort());
      });

      test('an existing bootstrax state counts as the process state while daqflow has none (rundb.legacy_state)', async () => {
        const store = await open({ legacy_state: { field: 'bootstrax.state' } });
        await w!.insertRaw(xenonRun(1, { bootstrax: { state: 'done' } }));
        await w!.insertRaw(xenonRun(2, { bootstrax: { state: 'failed' } }));
        await w!.insertRaw(xenonRun(3, { bootstrax: { state: 'busy' } }));
        await w!.insertRaw(xenonRun(4, { bootstrax: { state: 'something_new' } }));
        await w!.insertRaw(xenonRun(5));
        await w!.insertRaw(xenonRun(6, { bootstrax: { state: 'done' }, daqflow: { process: { state: 'failed' } } }));
        expect(names(await store.listRuns({ stage: 'process', states: ['pending'] }))).toEqual([4, 5]);
        expect(names(await store.listRuns({ stage: 'process', states: ['done'] }))).toEqual([1]);
        expect(names(await store.listRuns({ stage: 'process', states: ['failed'] }))).toEqual([2, 6]);
        expect(names(await store.listRuns({ stage: 'process', states: ['running'] }))).toEqual([3]);
        expect(names(await store.listRuns({ stage: 'import', states: ['pending'] }))).toEqual([1, 2, 3, 4, 5, 6]);
        expect(stageStateOf((await store.getRun(1))!, store.stateField, 'process')).toBe('done');
        expect(await store.claimRun(1, 'process', { from: ['pending'], to: 'claimed', host: 'h' })).toBeNull();
        expect((await store.claimRun(2, 'process', { from: ['failed'], to: 'claimed', host: 'h' }))?.number).toBe(2);
        expect((await store.claimNext('process', { from: ['pending'], to: 'claimed', host: 'h' }))?.number).toBe(4);
        expect(await w!.readRaw(1)).not.toHaveProperty('daqflow'); // reading never writes the mapped state
        // An update that does not set the state writes only its fields; the mapped state still applies.
        await store.updateStage(1, 'process', { set: { reason: 'checked' } });
        expect(await w!.readRaw(1)).toMatchObject({ daqflow: { process: { reason: 'checked' } } });
        expect(await w!.readRaw(1)).not.toHaveProperty('daqflow.process.state');
        expect(await w!.readRaw(1)).not.toHaveProperty('daqflow.process.legacy');
        expect(stageStateOf((await store.getRun(1))!, store.stateField, 'process')).toBe('done');
        expect(names(await store.listRuns({ stage: 'process', states: ['done'] }))).toEqual([1]);
      });

      test('limit 0 means no limit, for runs and monitor samples alike', async () => {
        const store = await open();
        await seed(store, [1, 2, 3]);
        for (let i = 0; i < 3; i++) await store.addMonitorSample({ i });
        expect(names(await store.listRuns({ limit: 0 }))).toEqual([1, 2, 3]);
        expect(await store.listMonitorSamples({ limit: 0 })).toHaveLength(3);
        expect(names(await store.listRuns({ limit: 1 }))).toEqual([1]);
      });

      test('write methods return the run without its bulky fields; listRuns and getRun return only the asked-for fields', async () => {
        const store = await open();
        await store.upsertRun(xenonRun(9, { daq_config: { boards: 'x'.repeat(1000) } }) as never);
        const claimed = (await store.claimRun(9, 'process', { from: ['pending'], to: 'claimed', host: 'h' }))!;
        expect(Object.keys(claimed).sort()).toEqual([store.stateField, 'end', 'mode', 'name', 'number', 'source', 'start', 'tags'].sort());
        const [listed] = await store.listRuns({ fields: ['mode'] });
        expect(listed).toEqual({ number: 9, mode: 'tpc_kr83m', [store.stateField]: claimed[store.stateField] });
        expect(await store.getRun(9, { fields: ['mode'] })).toEqual(listed);
        expect(await store.getRun(9)).toHaveProperty('daq_config');
      });

      test('listRuns with fields keeps nulls, leaves absent fields out, revives nested Dates, and honours states and limit', async () => {
        const store = await open();
        await store.upsertRun(xenonRun(1, { comments: null }) as never);
        await store.upsertRun(xenonRun(2) as never);
        await store.upsertRun(xenonRun(3, { comments: [{ text: 'ok', at: minutes(-5) }] }) as never);
        await store.updateStage(3, 'process', { set: { state: 'done' } });
        const listed = await store.listRuns({ fields: ['comments', 'start'] });
        expect(listed.map((r) => Object.keys(r).sort())).toEqual([
          ['comments', 'number', 'start'],
          ['number', 'start'],
          ['comments', 'number', store.stateField, 'start'].sort(),
        ]);
        expect(listed[0]!.comments).toBeNull();
        expect(listed[2]!.start).toEqual(minutes(-60));
        expect((listed[2]!.comments as Array<{ at: Date }>)[0]!.at).toEqual(minutes(-5));
        expect(stageOf(listed[2]!, store.stateField, 'process')).toMatchObject({ state: 'done', updated_at: T0 });
        expect(names(await store.listRuns({ fields: ['name'], stage: 'process', states: ['pending'], order: 'desc', limit: 1 }))).toEqual([2]);
        expect(await store.listRuns({ fields: ['name'], stage: 'process', states: ['done'] })).toEqual([{ number: 3, name: '000003', [store.stateField]: listed[2]![store.stateField] }]);
      });

      test('listRuns with fields through rundb.user_filter projects the runs the filter keeps', async () => {
        const store = await open({ user_filter: { mode: 'tpc_kr83m' } });
        await seed(store, [1, 2, 3]);
        expect(await store.listRuns({ fields: ['mode'] })).toEqual([
          { number: 1, mode: 'tpc_kr83m' },
          { number: 3, mode: 'tpc_kr83m' },
        ]);
        expect(names(await store.listRuns({ fields: ['mode'], userFilter: false }))).toEqual([1, 2, 3]);
      });
    });

    describe('run numbers only (listRunNumbers)', () => {
      /** listRunNumbers gives exactly the numbers listRuns gives for the same query. */
      async function numbersOf(store: RunStore, query: Parameters<RunStore['listRuns']>[0]): Promise<number[]> {
        const numbers = await store.listRunNumbers(query);
        expect(numbers).toEqual(names(await store.listRuns(query)));
        return numbers;
      }

      test('states (a missing sub-document is pending), window, numbers, order and limit', async () => {
        const store = await open();
        await seed(store, [1, 2, 3, 4, 5, 6]);
        await store.updateStage(2, 'process', { set: { state: 'done' } });
        await store.updateStage(3, 'process', { set: { state: 'abandoned' } });
        await store.updateStage(4, 'process', { set: { state: 'pending', reason: 'released' } });
        await store.updateStage(5, 'import', { set: { state: 'done' } });
        await store.updateStage(6, 'process', { set: { state: 'failed', next_retry: minutes(30) } });
        expect(await numbersOf(store, {})).toEqual([1, 2, 3, 4, 5, 6]);
        expect(await numbersOf(store, { stage: 'process', states: ['pending'] })).toEqual([1, 4, 5]);
        expect(await numbersOf(store, { stage: 'process', states: ['done'] })).toEqual([2]);
        expect(await numbersOf(store, { stage: 'process', states: ['pending', 'done', 'failed'], order: 'desc' })).toEqual([6, 5, 4, 2, 1]);
        expect(await numbersOf(store, { stage: 'process', states: ['pending', 'failed'], dueBy: T0 })).toEqual([1, 4, 5]);
        expect(await numbersOf(store, { min: 2, max: 5, order: 'desc', limit: 2 })).toEqual([5, 4]);
        expect(await numbersOf(store, { numbers: [6, 3, 99], limit: 0 })).toEqual([3, 6]);
        expect(await numbersOf(store, { stage: 'process', states: ['done'], fields: ['mode'] })).toEqual([2]);
        await expect(store.listRunNumbers({ states: ['done'] })).rejects.toThrow(/need a stage/);
      });

      test('rundb.user_filter applies unless userFilter is false, with states and order', async () => {
        const store = await open({ user_filter: { mode: 'tpc_kr83m' } });
        await seed(store, [1, 2, 3, 4, 5]);
        await store.updateStage(3, 'process', { set: { state: 'done' } });
        await store.updateStage(4, 'process', { set: { state: 'done' } });
        expect(await numbersOf(store, {})).toEqual([1, 3, 5]);
        expect(await numbersOf(store, { userFilter: false })).toEqual([1, 2, 3, 4, 5]);
        expect(await numbersOf(store, { stage: 'process', states: ['done'] })).toEqual([3]);
        expect(await numbersOf(store, { stage: 'process', states: ['done'], userFilter: false, order: 'desc' })).toEqual([4, 3]);
        expect(await numbersOf(store, { stage: 'process', states: ['pending'], order: 'desc', limit: 1 })).toEqual([5]);
      });

      test('a legacy state (rundb.legacy_state) counts while daqflow has none', async () => {
        const store = await open({ legacy_state: { field: 'bootstrax.state' } });
        await w!.insertRaw(xenonRun(1, { bootstrax: { state: 'done' } }));
        await w!.insertRaw(xenonRun(2, { bootstrax: { state: 'failed' } }));
        await w!.insertRaw(xenonRun(3, { bootstrax: { state: 'something_new' } }));
        await w!.insertRaw(xenonRun(4));
        await w!.insertRaw(xenonRun(5, { bootstrax: { state: 'done' }, daqflow: { process: { state: 'abandoned' } } }));
        expect(await numbersOf(store, { stage: 'process', states: ['done'] })).toEqual([1]);
        expect(await numbersOf(store, { stage: 'process', states: ['pending'] })).toEqual([3, 4]);
        expect(await numbersOf(store, { stage: 'process', states: ['pending', 'done', 'failed'] })).toEqual([1, 2, 3, 4]);
        expect(await numbersOf(store, { stage: 'process', states: ['abandoned'] })).toEqual([5]);
      });

      test('run numbers stored as double or int64, or not as the first field, are listed as numbers', async () => {
        const store = await open();
        await w!.insertRaw(xenonRun(12100, { number: w!.double(12100) }));
        await w!.insertRaw(xenonRun(12101, { number: w!.int64(12101) }));
        await w!.insertRaw({ name: '012102', mode: 'tpc_kr83m', number: 12102 });
        expect(await numbersOf(store, { order: 'desc' })).toEqual([12102, 12101, 12100]);
      });
    });

    describe('documents written by other software', () => {
      // A projection without the name leaves the name out of the warning; the bad number is always in it.
      test.each([
        ['whole documents (listRuns)', true, (store: RunStore) => store.listRuns().then(names)],
        ['fields (listRuns with fields)', false, (store: RunStore) => store.listRuns({ fields: ['start'] }).then(names)],
        ['run numbers (listRunNumbers)', true, (store: RunStore) => store.listRunNumbers()],
      ])('a run document with a non-integer number is skipped with one warning naming it and the collection: %s', async (_, named, list) => {
        w = await worlds.fresh();
        const logger = memoryLogger();
        const store = await w.open({ logger, now: () => T0 });
        await seed(store, [1, 3]);
        await w.insertRaw(xenonRun(2, { number: '000002', name: 'bad_one' }));
        await w.insertRaw(xenonRun(4, { number: 4.5, name: 'half' }));
        expect(await list(store)).toEqual([1, 3]);
        expect(await list(store)).toEqual([1, 3]);
        const warnings = logger.messages('warn');
        expect(warnings).toHaveLength(2);
        expect(warnings.join('\n')).toMatch(/skipping run document .*"000002" \(string\), not a non-negative integer/);
        expect(warnings.join('\n')).toMatch(/4\.5 \(number\)/);
        if (named) {
          expect(warnings.join('\n')).toMatch(/bad_one.*"000002"/);
          expect(warnings.join('\n')).toMatch(/half.*4\.5/);
        }
        expect(warnings[0]).toMatch(/runs/);
        const claimed: number[] = [];
        for (let r; (r = await store.claimNext('process', { from: ['pending'], to: 'claimed', host: 'h' })); ) claimed.push(r.number);
        expect(claimed).toEqual([1, 3]);
      });
    });
  });
}
