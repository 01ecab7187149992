// straxer's data entries are found by straxen's RunDB storage frontend: `meta.lineage` is matched as a whole embedded
// document, so its key order must be strax's (the data type itself, then each dependency's lineage in depends_on order).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/strax/plugins/index.js';
import { MongoWireServer } from '../support/mongo-wire-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { makeLiveRun, REPO, RUN } from './helpers.js';

type Lineage = Record<string, unknown>;

/**
 * strax's rule, written from its Context: {type: (class, version, {tracked options in declaration order})}, then
 * update() with each dependency's lineage in depends_on order. `flat` is the lineage as the metadata file holds it.
 */
function straxOrdered(type: string, flat: Lineage): Lineage {
  const cls = defaultRegistry().get(type);
  const [name, version, options] = flat[type] as [string, string, Record<string, unknown>];
  const declared = Object.keys(cls.options).filter((o) => o in options);
  expect(declared.sort()).toEqual(Object.keys(options).sort());
  const out: Lineage = { [type]: [name, version, Object.fromEntries(Object.keys(cls.options).filter((o) => o in options).map((o) => [o, options[o]]))] };
  for (const dep of cls.dependsOn) Object.assign(out, straxOrdered(dep, flat));
  return out;
}

/** The query straxen's RunDB frontend makes for one data key (`_data_query` with the run matched on number). */
function straxenQuery(type: string, hash: string, lineage: Lineage, host: string) {
  return {
    number: Number(RUN),
    data: { $elemMatch: { type, $and: [{ $or: [{ 'meta.lineage': lineage }, { did: { $regex: `/*${type}-${hash}` } }] }, { $or: [{ host }] }] } },
  };
}

describe('data entries written by straxer', () => {
  let wire: MongoWireServer;
  beforeAll(async () => {
    wire = await MongoWireServer.start();
  });
  afterAll(() => wire.close());

  it('are found by straxen RunDB query for every product, by meta.lineage in strax key order', async () => {
    const live = await makeLiveRun();
    const cwd = makeTmpDir('daqflow-entries-');
    const storage = path.join(cwd, 'strax_data');
    const host = 'eb-test.local';
    fs.writeFileSync(path.join(cwd, 'config.yaml'), `work_dir: ${cwd}\nhost: ${host}\nrundb:\n  backend: mongo\n  uri: "${wire.uri}"\n  database: entries\n`);
    const client = await new MongoClient(wire.uri).connect();
    try {
      const runs = client.db('entries').collection('runs');
      await runs.insertOne({ number: Number(RUN), name: RUN, mode: 'tpc_background', data: [] });
      // Not spawnSync: the wire server runs in this process and must keep answering while straxer runs.
      const r = await execa(process.execPath, [path.join(REPO, 'bin', 'straxer.js'), RUN, '--config', 'config.yaml', '--target', 'peaks', '--live', live, '--storage', storage, '--json'], { cwd, reject: false, env: { DAQFLOW_CONFIG: '' } });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/could not record/);

      const products = fs.readdirSync(storage).filter((d) => d.startsWith(`${RUN}-`) && !d.startsWith('_'));
      expect(products.length).toBeGreaterThanOrEqual(3);
      for (const folder of products) {
        const [, type, hash] = folder.split('-') as [string, string, string];
        const md = JSON.parse(fs.readFileSync(path.join(storage, folder, `${type}-${hash}-metadata.json`), "utf8")) as { lineage: Lineage };
        const expected = straxOrdered(type, md.lineage);
        expect(Object.keys(expected).sort()).toEqual(Object.keys(md.lineage).sort());
        const found = await runs.findOne(straxenQuery(type, hash, expected, host));
        expect(found, `${type} not found by straxen's query`).not.toBeNull();
        // The same lineage in another key order must not match: the order is what makes the query find it.
        const reversed = Object.fromEntries(Object.entries(expected).reverse());
        if (Object.keys(expected).length > 1) expect(await runs.findOne(straxenQuery(type, hash, reversed, host))).toBeNull();
      }
    } finally {
      await client.close();
    }
  });
});
