// The RunStore implementations the contract suite runs against (like dask-jobqueue's Cluster fixture).
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { BSON, Double, Long, MongoClient, type Document } from 'mongodb';
import { configSchema, type Config } from '../../src/config/schema.js';
import { openRunStore, type RunStore, type RunStoreOptions } from '../../src/rundb/index.js';
import { initRunsDb } from '../../src/rundb/db-init.js';
import { encodeDoc } from '../../src/rundb/sqlite-json.js';
import { MongoWireServer } from '../support/mongo-wire-server.js';
import { makeTmpDir } from '../support/tmp.js';

type Rundb = Config['rundb'];
export type RundbOverrides = Partial<Omit<Rundb, 'collections' | 'fields' | 'legacy_state'>> & {
  collections?: Partial<Rundb['collections']>;
  fields?: Partial<Rundb['fields']>;
  legacy_state?: Partial<Rundb['legacy_state']>;
};

/** One fresh, empty runs database per call, plus raw access "as other software would write it". */
export interface BackendWorld {
  config: Config;
  open(options?: RunStoreOptions): Promise<RunStore>;
  insertRaw(doc: Record<string, unknown>): Promise<void>;
  readRaw(number: number): Promise<Document | null>;
  /** Each stored entry of the run's `field` array in its exact stored form (BSON bytes in MongoDB, JSON text in SQLite). */
  readRawEntries(number: number, field: string): Promise<string[]>;
  /** A 64-bit integer as other software writes it (BSON int64 in MongoDB; a plain number in SQLite's JSON). */
  int64(n: number): unknown;
  /** A floating-point number stored as a double even when it is integral (BSON double; a plain number in SQLite). */
  double(n: number): unknown;
  cleanup(): Promise<void>;
}

export interface Backend {
  name: string;
  skip: boolean;
  /** The wire test server's latency mode (interleaved commands); absent for sqlite and a real mongod. */
  setLatency?(latency: { minMs: number; maxMs: number } | null): void;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A fresh database; `init: false` leaves out `daqflow db init` (MongoDB indexes and capped collection). */
  world(rundb?: RundbOverrides, options?: { init?: boolean }): Promise<BackendWorld>;
}

/**
 * Inside a describe: sets the backend up before its tests and tears it down after them; `fresh` makes a new world and
 * the latest one is cleaned up after each test.
 */
export function backendWorlds(backend: Backend): { fresh(rundb?: RundbOverrides): Promise<BackendWorld> } {
  let latest: BackendWorld | undefined;
  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  afterEach(async () => {
    await latest?.cleanup();
    latest = undefined;
  });
  return { fresh: async (rundb) => (latest = await backend.world(rundb)) };
}

export function makeConfig(workDir: string, rundb: RundbOverrides = {}): Config {
  return configSchema.parse({ work_dir: workDir, rundb });
}

let counter = 0;

function rowKey(number: unknown): number {
  if (Number.isInteger(number)) return number as number;
  const parsed = Number.parseInt(String(number), 10);
  return Number.isInteger(parsed) ? parsed : 900_000 + counter++;
}

export const sqliteBackend: Backend = {
  name: 'sqlite',
  skip: false,
  setup: async () => {},
  teardown: async () => {},
  async world(rundb = {}) {
    const config = makeConfig(makeTmpDir('daqflow-rundb-'), { busy_timeout_ms: 2000, ...rundb, backend: 'sqlite' });
    const file = path.join(config.work_dir, 'runs.sqlite');
    const stores: RunStore[] = [];
    const readRaw = async (number: number) => {
      const db = new Database(file, { readonly: true });
      const row = db.prepare('SELECT doc FROM runs WHERE number = ?').get(number) as { doc: string } | undefined;
      db.close();
      return row ? (JSON.parse(row.doc) as Document) : null;
    };
    const open = async (options?: RunStoreOptions) => {
      const store = await openRunStore(config, options);
      stores.push(store);
      return store;
    };
    return {
      config,
      open,
      async insertRaw(doc) {
        await (await open()).listRuns({ limit: 0 }); // make sure the schema exists
        const db = new Database(file);
        db.prepare('INSERT INTO runs (number, doc) VALUES (?, ?)').run(rowKey(doc.number), encodeDoc(doc));
        db.close();
      },
      readRaw,
      async readRawEntries(number, field) {
        const raw = await readRaw(number);
        return ((raw?.[field] ?? []) as unknown[]).map((e) => JSON.stringify(e));
      },
      int64: (n) => n,
      double: (n) => n,
      async cleanup() {
        for (const s of stores.splice(0)) await s.close();
      },
    };
  },
};

function mongoBackend(name: string, uri: () => string, skip: boolean): Backend {
  let client: MongoClient | undefined;
  return {
    name,
    skip,
    async setup() {
      client = new MongoClient(uri(), { serverSelectionTimeoutMS: 5000 });
      await client.connect();
    },
    async teardown() {
      await client?.close();
    },
    async world(rundb = {}, options = {}) {
      const database = `daqflow_test_${process.pid}_${counter++}`;
      const config = makeConfig(makeTmpDir('daqflow-rundb-'), { connect_timeout_ms: 2000, ...rundb, backend: 'mongo', uri: uri(), database });
      const stores: RunStore[] = [];
      const db = client!.db(database);
      if (options.init !== false) await initRunsDb(config); // `daqflow db init`, once per database
      return {
        config,
        async open(options) {
          const store = await openRunStore(config, options);
          stores.push(store);
          return store;
        },
        async insertRaw(doc) {
          await db.collection(config.rundb.collections.runs).insertOne({ ...doc });
        },
        async readRaw(number) {
          return db.collection(config.rundb.collections.runs).findOne({ number });
        },
        async readRawEntries(number, field) {
          const raw = await db.collection(config.rundb.collections.runs).findOne({ number }, { promoteValues: false, promoteLongs: false });
          return ((raw?.[field] ?? []) as Document[]).map((e) => Buffer.from(BSON.serialize(e)).toString('hex'));
        },
        int64: (n) => Long.fromNumber(n),
        double: (n) => new Double(n),
        async cleanup() {
          for (const s of stores.splice(0)) await s.close();
          await db.dropDatabase();
        },
      };
    },
  };
}

function wireServerBackend(): Backend {
  let server: MongoWireServer | undefined;
  const inner = mongoBackend('mongo (wire server)', () => server!.uri, false);
  return {
    ...inner,
    setLatency: (latency) => server!.setLatency(latency),
    async setup() {
      server = await MongoWireServer.start();
      await inner.setup();
    },
    async teardown() {
      await inner.teardown();
      await server?.close();
    },
  };
}

export const wireBackend = wireServerBackend();
export const realMongoBackend: Backend = mongoBackend('mongo (real mongod)', () => process.env.MONGODB_URI ?? '', !process.env.MONGODB_URI);

export const BACKENDS: Backend[] = [sqliteBackend, wireBackend, realMongoBackend];
