// daqflow against a XENONnT-shaped runs collection: import into it, process and clean, leave everything else as it was,
// and write data entries that straxen's RunDB storage frontend finds.
import { BSON, MongoClient, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openRunStore, stageStateOf, type DataEntry, type RunStore } from '../../src/rundb/index.js';
import { initRunsDb } from '../../src/rundb/db-init.js';
import { MongoWireServer } from '../support/mongo-wire-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { makeConfig } from './backends.js';
import { EB, lineage, xenonntRun } from './fixtures/xenonnt.js';

const HOST = 'eb3.xenon.local';

/** The query straxen's RunDB frontend makes for one data key (the shape of `_data_query`, with run_query on number). */
function straxenQuery(number: number, type: string, hash: string, lin: Record<string, unknown>, hosts: string[]): Document {
  const dq = {
    data: {
      $elemMatch: {
        type,
        $and: [{ $or: [{ 'meta.lineage': lin }, { did: { $regex: `/*${type}-${hash}` } }] }, { $or: hosts.map((host) => ({ host })) }],
      },
    },
  };
  return { filter: { number, ...dq }, projection: dq };
}

if (!process.env.MONGODB_URI) console.log('MONGODB_URI not set: the XENONnT-shaped run against a real mongod is skipped');

const bson = (v: unknown) => Buffer.from(BSON.serialize({ v })).toString('hex');

const targets = [
  { uri: () => (process.env.MONGODB_URI ?? ''), name: 'a real mongod (MONGODB_URI)', skip: !process.env.MONGODB_URI },
  { uri: () => wire.uri, name: 'the wire test server', skip: false },
];
let wire: MongoWireServer;
beforeAll(async () => {
  wire = await MongoWireServer.start();
});
afterAll(() => wire.close());

for (const target of targets) {
  describe.skipIf(target.skip)(`XENONnT-shaped runs collection on ${target.name}`, () => {
    let client: MongoClient;
    let store: RunStore;
    const database = `xenonnt_${process.pid}`;
    const runs = () => client.db(database).collection('runs');
    const raw = async (number: number) => runs().findOne({ number }, { promoteValues: false, promoteLongs: false });

    beforeAll(async () => {
      client = await new MongoClient(target.uri()).connect();
      await runs().insertMany([
        xenonntRun(50001, { bootstrax: 'done' }),
        xenonntRun(50002, { bootstrax: 'done', double: true }),
        xenonntRun(50003, { bootstrax: 'failed' }),
        xenonntRun(50004),
        xenonntRun(50005, { double: true }),
      ]);
      const config = makeConfig(makeTmpDir('daqflow-xenonnt-'), { backend: 'mongo', uri: target.uri(), database, legacy_state: { field: 'bootstrax.state' } });
      await initRunsDb(config);
      store = await openRunStore(config);
    });
    afterAll(async () => {
      await store?.close();
      await client.db(database).dropDatabase();
      await client.close();
    });

    test('import, process and clean change only daqflow state and daqflow entries; straxen finds every entry daqflow wrote', async () => {
      const before = new Map<number, Document>();
      for (const n of [50001, 50002, 50003, 50004, 50005]) before.set(n, (await raw(n))!);

      // Import: register a new run and refresh a field of existing ones.
      await store.upsertRuns([{ number: 50006, name: '050006', mode: 'tpc_kr83m' }, { number: 50004, source: 'none' }]);

      // Process: bootstrax's done runs are done; the failed one is due again; the others are pending.
      expect((await store.listRuns({ stage: 'process', states: ['done'], fields: ['name'] })).map((r) => r.number)).toEqual([50001, 50002]);
      const bytesBefore = wire.bytesOut;
      const written: Array<{ number: number; entry: DataEntry }> = [];
      for (let run; (run = await store.claimNext('process', { from: ['pending', 'failed'], to: 'claimed', host: HOST })); ) {
        await store.updateStage(run.number, 'process', { set: { state: 'running', job_id: `${run.number}` }, expect: ['claimed'] });
        for (const type of ['peaklets', 'event_info']) {
          const entry = { type, host: HOST, location: `/data/daqflow/${run.name}-${type}-xyz`, lineage_hash: 'xyz', meta: { lineage: lineage(type) }, n_chunks: 4, size_mb: 12.5 };
          expect(await store.addData(run.number, entry)).not.toBeNull();
          written.push({ number: run.number, entry });
        }
        await store.updateStage(run.number, 'process', { set: { state: 'done' }, expect: ['running'] });
      }
      expect([...new Set(written.map((w) => w.number))]).toEqual([50003, 50004, 50005, 50006]);
      // The MB-sized documents never travelled back whole (projections): far less than one of them per processed run.
      if (!target.skip && target.name.includes('wire')) expect(wire.bytesOut - bytesBefore).toBeLessThan(1024 * 1024);

      // Clean: daqflow removes its own peaklets of one run.
      const moved = await store.removeData(50004, { type: 'peaklets', host: HOST }, { by: `clean.${HOST}`, reason: 'superseded' });
      expect(moved).toHaveLength(1);

      for (const [n, old] of before) {
        const now = (await raw(n))!;
        // Every field of other software is byte-identical (source was set to the same value by the import).
        for (const key of Object.keys(old)) if (key !== 'data') expect(bson(now[key]), `${n}.${key}`).toBe(bson(old[key]));
        // Every data entry of other software is still there, byte-identical and in its place.
        const oldEntries = (old.data as Document[]).map(bson);
        expect((now.data as Document[]).slice(0, oldEntries.length).map(bson), `${n}.data`).toEqual(oldEntries);
        expect(Object.keys(now).filter((k) => !(k in old)).sort()).toEqual(n === 50001 || n === 50002 ? [] : n === 50004 ? ['daqflow', 'deleted_data'] : ['daqflow']);
      }
      expect(stageStateOf((await store.getRun(50003))!, store.stateField, 'process')).toBe('done');

      // straxen's RunDB frontend finds each entry daqflow wrote (and still has) by its lineage and this host.
      for (const { number, entry } of written) {
        const { filter, projection } = straxenQuery(number, entry.type, 'xyz', lineage(entry.type), [HOST]);
        const found = await runs().findOne(filter, { projection });
        if (number === 50004 && entry.type === 'peaklets') {
          expect(found).toBeNull();
          continue;
        }
        expect(found, `${number} ${entry.type}`).not.toBeNull();
        expect(found!.data).toEqual([expect.objectContaining({ protocol: 'FileSytemBackend', location: entry.location, host: HOST })]);
      }
      // … and still finds bootstrax's entries, but not daqflow's from another host.
      expect(await runs().findOne(straxenQuery(50001, 'peaklets', 'ab12cd34ef', lineage('peaklets'), [EB]).filter)).not.toBeNull();
      expect(await runs().findOne(straxenQuery(50003, 'peaklets', 'xyz', lineage('peaklets'), [EB]).filter)).toBeNull();
    });
  });
}
