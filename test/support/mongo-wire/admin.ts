// Handshake and administrative commands of the test server: hello, buildInfo, indexes, collections, sessions.
import { Long, ObjectId, type Document } from 'bson';
import { Query } from 'mingo';
import type { IndexSpec } from './collection.js';
import { CommandError } from './errors.js';
import { assertCollectionName, toNumber, type WireState } from './state.js';

export const MAX_WIRE_VERSION = 21; // MongoDB 7.0

/** The replica set the test server announces (one member, the primary), so drivers use retryable writes. */
export interface ReplicaSetInfo {
  setName: string;
  /** host:port of this server. */
  me: string;
  /** New at every (re)start, as mongod's: drivers see a restarted process. */
  processId: ObjectId;
}

const ELECTION_ID = new ObjectId('7fffffff0000000000000001');

/**
 * hello / isMaster reply: a replica-set primary with a topologyVersion (as every mongod since 4.4), or an old standalone
 * mongod when `rs` is null (no topologyVersion). Without one a driver cannot tell a restarted server apart and keeps
 * its monitoring connection; see rundb/mongo-connect.ts for what that did.
 */
export function helloReply(connectionId: number, legacy: boolean, rs: ReplicaSetInfo | null): Document {
  const set = rs
    ? { setName: rs.setName, setVersion: 1, hosts: [rs.me], primary: rs.me, me: rs.me, secondary: false, electionId: ELECTION_ID, topologyVersion: { processId: rs.processId, counter: Long.fromNumber(0) } }
    : {};
  return {
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    ...set,
    helloOk: true,
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
    ok: 1,
  };
}

export function buildInfoReply(): Document {
  return { version: '7.0.0-daqflow-wire', versionArray: [7, 0, 0, 0], gitVersion: 'test', bits: 64, maxBsonObjectSize: 16 * 1024 * 1024, ok: 1 };
}

export function createIndexesCommand(state: WireState, db: string, cmd: Document): Document {
  const existed = state.collection(db, cmd.createIndexes) !== undefined;
  const coll = state.ensureCollection(db, cmd.createIndexes);
  const before = coll.indexes.length;
  for (const raw of (cmd.indexes ?? []) as Document[]) {
    if (!raw.key || !raw.name) throw new CommandError(9, 'FailedToParse', 'index specification needs key and name');
    coll.createIndex({ v: 2, ...raw } as IndexSpec);
  }
  return { createdCollectionAutomatically: !existed, numIndexesBefore: before, numIndexesAfter: coll.indexes.length, ok: 1 };
}

export function listIndexesCommand(state: WireState, db: string, cmd: Document): Document {
  const coll = state.collection(db, cmd.listIndexes);
  if (!coll) throw new CommandError(26, 'NamespaceNotFound', `ns does not exist: ${db}.${cmd.listIndexes}`);
  return { cursor: state.openCursor(`${db}.$cmd.listIndexes.${cmd.listIndexes}`, coll.indexes.map((i) => ({ ...i })), undefined), ok: 1 };
}

export function createCommand(state: WireState, db: string, cmd: Document): Document {
  assertCollectionName(cmd.create);
  if (state.collection(db, cmd.create)) {
    throw new CommandError(48, 'NamespaceExists', `Collection ${db}.${cmd.create} already exists.`);
  }
  const capped = cmd.capped === true;
  if (capped && !(toNumber(cmd.size)! > 0)) throw new CommandError(72, 'InvalidOptions', 'the size field is required when creating a capped collection');
  state.ensureCollection(db, cmd.create, capped ? { capped, size: toNumber(cmd.size), max: toNumber(cmd.max) } : {});
  return { ok: 1 };
}

export function listCollectionsCommand(state: WireState, db: string, cmd: Document): Document {
  const infos = [...state.database(db).values()].map((c) => ({
    name: c.name,
    type: 'collection',
    options: c.options.capped ? { capped: true, size: c.options.size, ...(c.options.max ? { max: c.options.max } : {}) } : {},
    info: { readOnly: false },
    idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
  }));
  const filter = (cmd.filter ?? {}) as Document;
  const q = new Query(filter, {});
  const selected = infos.filter((i) => q.test(i)).map((i) => (cmd.nameOnly ? { name: i.name, type: i.type } : i));
  return { cursor: state.openCursor(`${db}.$cmd.listCollections`, selected, toNumber(cmd.cursor?.batchSize)), ok: 1 };
}

export function dropCommand(state: WireState, db: string, cmd: Document): Document {
  const colls = state.database(db);
  const coll = colls.get(cmd.drop);
  colls.delete(cmd.drop);
  // MongoDB 7 answers ok for a collection that does not exist.
  return { ns: `${db}.${cmd.drop}`, nIndexesWas: coll?.indexes.length ?? 0, ok: 1 };
}

export function dropDatabaseCommand(state: WireState, db: string): Document {
  state.dbs.delete(db);
  return { dropped: db, ok: 1 };
}

/** No users exist on the test server: every authentication attempt fails like mongod's. */
export function saslStartCommand(): Document {
  throw new CommandError(18, 'AuthenticationFailed', 'Authentication failed.');
}
