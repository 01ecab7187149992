// The wire-level test server: framing, commands the driver sends, mongod-like errors and fault hooks.
import net from 'node:net';
import { BSON, Double, Int32, Long, type Document } from 'bson';
import { MongoClient } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { MongoWireServer } from '../support/mongo-wire-server.js';

let server: MongoWireServer;
let client: MongoClient;

beforeAll(async () => {
  server = await MongoWireServer.start();
  client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 2000 });
  await client.connect();
});
afterAll(async () => {
  await client.close();
  await server.close();
});
afterEach(async () => {
  if (!server.running) await server.restart();
  await client.db('t').dropDatabase();
});

/** Sends raw bytes on a fresh socket and returns the first complete reply message. */
async function rawExchange(bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1', () => socket.write(bytes));
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 4 && buf.length >= buf.readInt32LE(0)) {
        socket.destroy();
        resolve(buf.subarray(0, buf.readInt32LE(0)));
      }
    });
    socket.on('error', reject);
  });
}

function header(length: number, requestId: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(requestId, 4);
  h.writeInt32LE(0, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

function opMsg(requestId: number, flags: number, body: Document, sequence?: { id: string; docs: Document[] }): Buffer {
  const parts: Buffer[] = [];
  const f = Buffer.alloc(4);
  f.writeUInt32LE(flags, 0);
  parts.push(f, Buffer.from([0]), Buffer.from(BSON.serialize(body)));
  if (sequence) {
    const docs = Buffer.concat(sequence.docs.map((d) => Buffer.from(BSON.serialize(d))));
    const name = Buffer.from(`${sequence.id}\0`);
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + name.length + docs.length, 0);
    parts.push(Buffer.from([1]), size, name, docs);
  }
  if (flags & 1) parts.push(Buffer.alloc(4)); // checksum (not verified by the server)
  const payload = Buffer.concat(parts);
  return Buffer.concat([header(16 + payload.length, requestId, 2013), payload]);
}

function replyDoc(reply: Buffer): Document {
  const opCode = reply.readInt32LE(12);
  if (opCode === 1) return BSON.deserialize(reply.subarray(36));
  return BSON.deserialize(reply.subarray(21));
}

describe('framing', () => {
  test('answers a legacy OP_QUERY isMaster with an OP_REPLY', async () => {
    const query = Buffer.from(BSON.serialize({ isMaster: 1 }));
    const fixed = Buffer.concat([Buffer.alloc(4), Buffer.from('admin.$cmd\0'), Buffer.from([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])]);
    const reply = await rawExchange(Buffer.concat([header(16 + fixed.length + query.length, 7, 2004), fixed, query]));
    expect(reply.readInt32LE(12)).toBe(1);
    expect(reply.readInt32LE(8)).toBe(7);
    const doc = replyDoc(reply);
    expect(doc).toMatchObject({ ismaster: true, ok: 1 });
    expect(doc.maxWireVersion).toBeGreaterThanOrEqual(8);
  });

  test('reads OP_MSG with a checksum and a kind-1 document sequence', async () => {
    const reply = await rawExchange(
      opMsg(9, 1, { insert: 'raw', $db: 't' }, { id: 'documents', docs: [{ _id: 1, a: 1 }, { _id: 2, a: 2 }] }),
    );
    expect(reply.readInt32LE(12)).toBe(2013);
    expect(reply.readInt32LE(8)).toBe(9);
    expect(replyDoc(reply)).toMatchObject({ n: 2, ok: 1 });
    expect(await client.db('t').collection('raw').countDocuments()).toBe(2);
  });

  test('does not reply to a moreToCome message but still executes it', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const replies: Buffer[] = [];
    socket.on('data', (c) => replies.push(c));
    socket.write(opMsg(11, 2, { insert: 'quiet', documents: [{ _id: 1 }], $db: 't' }));
    socket.write(opMsg(12, 0, { ping: 1, $db: 'admin' }));
    await expect.poll(() => replies.length).toBe(1);
    expect(Buffer.concat(replies).readInt32LE(8)).toBe(12);
    socket.destroy();
    expect(await client.db('t').collection('quiet').countDocuments()).toBe(1);
  });
});

describe('commands through the driver', () => {
  test('find pages through getMore with int64 cursor ids and honours batchSize', async () => {
    const coll = client.db('t').collection('many');
    await coll.insertMany(Array.from({ length: 250 }, (_, i) => ({ i })));
    const cursor = coll.find({}, { batchSize: 40 }).sort({ i: -1 });
    const all = await cursor.toArray();
    expect(all.map((d) => d.i)).toEqual(Array.from({ length: 250 }, (_, i) => 249 - i));
    expect(server.commandCounts.get('getmore')).toBeGreaterThanOrEqual(6);
    const reply = await client.db('t').command({ find: 'many', batchSize: 10 }, { promoteLongs: false });
    expect(reply.cursor.id._bsontype).toBe('Long');
    expect(reply.cursor.id.isZero()).toBe(false);
    await client.db('t').command({ killCursors: 'many', cursors: [reply.cursor.id] });
  });

  test('update applies operators, replacements, upserts with $setOnInsert and multi', async () => {
    const coll = client.db('t').collection('u');
    await coll.insertMany([{ k: 1, v: 1 }, { k: 2, v: 1 }, { k: 3, v: 2 }]);
    expect((await coll.updateMany({ v: 1 }, { $inc: { v: 10 } })).modifiedCount).toBe(2);
    await coll.replaceOne({ k: 3 }, { k: 3, replaced: true });
    const up = await coll.updateOne({ k: 4, 'sub.x': 1 }, { $set: { a: 1 }, $setOnInsert: { created: true } }, { upsert: true });
    expect(up.upsertedCount).toBe(1);
    await coll.updateOne({ k: 4 }, { $set: { a: 2 }, $setOnInsert: { created: false } }, { upsert: true });
    const docs = await coll.find({}, { projection: { _id: 0 } }).sort({ k: 1 }).toArray();
    expect(docs).toEqual([
      { k: 1, v: 11 },
      { k: 2, v: 11 },
      { k: 3, replaced: true },
      { k: 4, sub: { x: 1 }, a: 2, created: true },
    ]);
  });

  test('findAndModify sorts, returns old or new, removes and projects', async () => {
    const coll = client.db('t').collection('fam');
    await coll.insertMany([{ n: 2, s: 'p' }, { n: 1, s: 'p' }, { n: 3, s: 'd' }]);
    const before = await coll.findOneAndUpdate({ s: 'p' }, { $set: { s: 'c' } }, { sort: { n: 1 }, projection: { _id: 0, n: 1, s: 1 } });
    expect(before).toEqual({ n: 1, s: 'p' });
    const after = await coll.findOneAndUpdate({ s: 'p' }, { $set: { s: 'c' } }, { returnDocument: 'after', projection: { _id: 0 } });
    expect(after).toEqual({ n: 2, s: 'c' });
    expect(await coll.findOneAndUpdate({ s: 'p' }, { $set: { s: 'c' } })).toBeNull();
    expect(await coll.findOneAndDelete({ n: 3 }, { projection: { _id: 0, n: 1 } })).toEqual({ n: 3 });
  });

  test('a unique index rejects duplicates with code 11000 and a writeErrors entry', async () => {
    const coll = client.db('t').collection('uniq');
    await coll.createIndex({ number: 1 }, { unique: true });
    await coll.insertOne({ number: 1 });
    const error = await coll.insertMany([{ number: 2 }, { number: 1 }]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 11000 });
    expect((error as { writeErrors: Array<{ index: number }> }).writeErrors[0]!.index).toBe(1);
    await expect(coll.updateOne({ number: 2 }, { $set: { number: 1 } })).rejects.toMatchObject({ code: 11000 });
    expect(await coll.countDocuments({ number: 2 })).toBe(1);
  });

  test('aggregate runs $match/$group/$sort/$limit/$skip/$project; count and distinct work', async () => {
    const coll = client.db('t').collection('agg');
    await coll.insertMany(Array.from({ length: 20 }, (_, i) => ({ i, g: i % 4, tags: [`t${i % 2}`] })));
    const groups = await coll
      .aggregate([{ $match: { i: { $gte: 4 } } }, { $group: { _id: '$g', n: { $sum: 1 } } }, { $sort: { _id: 1 } }, { $skip: 1 }, { $limit: 2 }, { $project: { n: 1 } }])
      .toArray();
    expect(groups).toEqual([{ _id: 1, n: 4 }, { _id: 2, n: 4 }]);
    expect(await coll.countDocuments({ g: 1 }, { skip: 1, limit: 3 })).toBe(3);
    expect(await client.db('t').command({ count: 'agg', query: { g: 0 } })).toMatchObject({ n: 5 });
    expect((await coll.distinct('tags')).sort()).toEqual(['t0', 't1']);
  });

  test('capped collections evict their oldest documents; listCollections reports them', async () => {
    const db = client.db('t');
    await db.createCollection('cap', { capped: true, size: 4096, max: 3 });
    for (let i = 0; i < 5; i++) await db.collection('cap').insertOne({ i });
    expect((await db.collection('cap').find().toArray()).map((d) => d.i)).toEqual([2, 3, 4]);
    const infos = await db.listCollections({ name: 'cap' }).toArray();
    expect(infos[0]).toMatchObject({ name: 'cap', options: { capped: true, size: 4096, max: 3 } });
    await expect(db.createCollection('cap', { capped: true, size: 4096 })).rejects.toMatchObject({ code: 48 });
    expect(await db.collection('cap').drop()).toBe(true);
  });
});

describe('fault hooks', () => {
  test('failNext returns the given error for the next commands only', async () => {
    const coll = client.db('t').collection('f');
    server.failNext(1, { code: 2, errmsg: 'boom' });
    await expect(coll.insertOne({ a: 1 })).rejects.toMatchObject({ code: 2, message: 'boom' });
    await coll.insertOne({ a: 2 });
    expect(await coll.countDocuments()).toBe(1);
  });

  test('stop cuts connections and restart serves the same data on the same port', async () => {
    const coll = client.db('t').collection('s');
    await coll.insertOne({ a: 1 });
    const port = server.port;
    await server.stop();
    const probe = new MongoClient(server.uri, { serverSelectionTimeoutMS: 300 });
    await expect(probe.db('t').collection('s').countDocuments()).rejects.toThrow(/ECONNREFUSED|Server selection timed out/);
    await probe.close();
    await server.restart();
    expect(server.port).toBe(port);
    expect(await coll.countDocuments()).toBe(1);
  });

  test('a command delayed by delayNext is never executed when the server stops meanwhile', async () => {
    const coll = client.db('t').collection('d');
    server.delayNext(1, 300);
    const pending = coll.insertOne({ a: 1 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await server.stop();
    expect(await pending).toBeInstanceOf(Error);
    await server.restart();
    expect(await coll.countDocuments()).toBe(0);
  });

  test('dropAllConnections fails an in-flight operation that is not retried; the driver reconnects', async () => {
    const noRetry = new MongoClient(server.uri, { serverSelectionTimeoutMS: 2000, retryWrites: false });
    const coll = noRetry.db('t').collection('x');
    server.delayNext(1, 200);
    const pending = coll.insertOne({ a: 1 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    server.dropAllConnections();
    expect(await pending).toBeInstanceOf(Error);
    await coll.insertOne({ a: 2 });
    expect(await coll.countDocuments()).toBe(1);
    await noRetry.close();
  });
});

describe('replica set and retryable writes', () => {
  test('hello announces a one-member replica set, so the driver sends lsid and txnNumber with writes', async () => {
    const hello = await client.db('admin').command({ hello: 1 });
    expect(hello).toMatchObject({ setName: 'daqflow-test', isWritablePrimary: true, hosts: [`127.0.0.1:${server.port}`] });
  });

  test('a write whose reply is lost is retried by the driver and applied exactly once', async () => {
    const coll = client.db('t').collection('retry');
    await coll.insertOne({ _id: 1, n: new Int32(0) } as Document);
    const before = server.retriedWrites;
    server.dropAfterNext(1);
    const result = await coll.findOneAndUpdate({ _id: 1 } as Document, { $inc: { n: 1 } }, { returnDocument: 'after' });
    expect(result).toMatchObject({ n: 1 });
    expect(server.retriedWrites).toBe(before + 1);
    expect(await coll.findOne({ _id: 1 } as Document)).toMatchObject({ n: 1 });
  });

  test('a standalone server (standalone: true) makes the driver give up on a lost reply instead', async () => {
    const standalone = await MongoWireServer.start({ standalone: true });
    const c = new MongoClient(standalone.uri, { serverSelectionTimeoutMS: 2000 });
    const coll = c.db('t').collection('s');
    standalone.dropAfterNext(1);
    await expect(coll.insertOne({ a: 1 })).rejects.toThrow();
    expect(await coll.countDocuments()).toBe(1);
    await c.close();
    await standalone.close();
  });
});

describe('strict like mongod', () => {
  const raw = () => client.db('t').collection('strict');
  afterEach(async () => {
    await raw().drop();
  });

  test('int32, int64 and double keep their BSON types through reads and updates of other fields', async () => {
    await raw().insertOne({ _id: 1, i: new Int32(5), l: Long.fromNumber(5), d: new Double(5), list: [new Double(1), Long.fromNumber(2)] } as Document);
    await raw().updateOne({ _id: 1 } as Document, { $set: { other: 'x' } });
    const doc = await raw().findOne({ _id: 1 } as Document, { promoteValues: false });
    const type = (v: unknown) => (v as { _bsontype?: string })._bsontype;
    expect([doc!.i, doc!.l, doc!.d, ...doc!.list].map(type)).toEqual(['Int32', 'Long', 'Double', 'Double', 'Long']);
    // Numbers still compare by value across types, as in mongod.
    expect(await raw().countDocuments({ d: 5, l: { $gte: 5 }, i: new Double(5) })).toBe(1);
    expect(await raw().countDocuments({ d: { $type: 'int' } })).toBe(0);
    expect(await raw().countDocuments({ l: { $type: 'long' }, d: { $type: 'double' }, i: { $type: 'int' } })).toBe(1);
  });

  test('$inc keeps int32 for int32, widens to int64 on overflow, and gives double with a double', async () => {
    await raw().insertOne({ _id: 1, a: new Int32(1), b: new Int32(2 ** 31 - 1), c: new Int32(1) } as Document);
    await raw().updateOne({ _id: 1 } as Document, { $inc: { a: new Int32(1), b: new Int32(1), c: new Double(0.5) } });
    const doc = await raw().findOne({ _id: 1 } as Document, { promoteValues: false });
    expect([doc!.a, doc!.b, doc!.c].map((v) => (v as { _bsontype: string })._bsontype)).toEqual(['Int32', 'Long', 'Double']);
  });

  test('equality to an embedded document depends on field order', async () => {
    await raw().insertOne({ _id: 1, m: { a: 1, b: 2 }, arr: [{ x: 1, y: 2 }] } as Document);
    expect(await raw().countDocuments({ m: { a: 1, b: 2 } })).toBe(1);
    expect(await raw().countDocuments({ m: { b: 2, a: 1 } })).toBe(0);
    expect(await raw().countDocuments({ arr: { y: 2, x: 1 } })).toBe(0);
    expect(await raw().countDocuments({ arr: { x: 1, y: 2 } })).toBe(1);
    expect(await raw().countDocuments({ arr: { $elemMatch: { x: 1, y: 2 } } })).toBe(1);
  });

  test('path conflicts fail with mongod codes: 40 ConflictingUpdateOperators, 28 PathNotViable, 14 TypeMismatch', async () => {
    await raw().insertOne({ _id: 1, n: null, s: 'text', list: [{ a: 1 }] } as Document);
    const code = (p: Promise<unknown>) => p.then(() => 'applied', (e: { code?: number }) => e.code);
    expect(await code(raw().updateOne({ _id: 1 } as Document, { $set: { 'x.y': 1 }, $setOnInsert: { x: 2 } }, { upsert: true }))).toBe(40);
    expect(await code(raw().updateOne({ _id: 1 } as Document, { $set: { a: 1 }, $inc: { a: 1 } }))).toBe(40);
    expect(await code(raw().updateOne({ _id: 1 } as Document, { $set: { 'n.child': 1 } }))).toBe(28);
    expect(await code(raw().updateOne({ _id: 1 } as Document, { $set: { 's.child': 1 } }))).toBe(28);
    expect(await code(raw().updateOne({ _id: 1 } as Document, { $set: { 'list.name': 1 } }))).toBe(28);
    expect(await code(raw().updateOne({ _id: 1 } as Document, { $inc: { s: 1 } }))).toBe(14);
    expect(await raw().findOne({ _id: 1 } as Document)).toEqual({ _id: 1, n: null, s: 'text', list: [{ a: 1 }] });
  });

  test('$set with arrayFilters changes only the matched elements; $pull with $in removes exact matches only', async () => {
    await raw().insertOne({ _id: 1, data: [{ t: 'a', h: 'x', n: Long.fromNumber(1) }, { t: 'b', h: 'x' }, { t: 'a', h: 'y' }] } as Document);
    await raw().updateOne({ _id: 1 } as Document, { $set: { 'data.$[e].size': 3 } }, { arrayFilters: [{ 'e.t': 'a', 'e.h': 'x' }] });
    await raw().updateOne({ _id: 1 } as Document, { $pull: { data: { $in: [{ h: 'x', t: 'b' }, { t: 'a', h: 'y' }] } } } as Document);
    const doc = await raw().findOne({ _id: 1 } as Document, { promoteValues: false });
    expect(doc!.data).toHaveLength(2);
    expect(BSON.serialize(doc!.data[0])).toEqual(BSON.serialize({ t: 'a', h: 'x', n: Long.fromNumber(1), size: new Int32(3) }));
    expect(doc!.data[1]).toEqual({ t: 'b', h: 'x' });
  });

  test('a unique index holds when upserts from many clients race in latency mode', async () => {
    const coll = raw();
    await coll.createIndex({ k: 1 }, { unique: true });
    try {
      const clients = await Promise.all(Array.from({ length: 5 }, async () => new MongoClient(server.uri).connect()));
      for (const c of clients) await c.db('t').command({ ping: 1 }); // pooled connections exist before the race starts
      // Every upsert waits at least 100 ms after it arrives, so all 15 (sent together) have looked before any inserts.
      server.setLatency({ minMs: 100, maxMs: 150 });
      const results = await Promise.all(
        clients.flatMap((c, i) => [1, 2, 3].map((k) => c.db('t').collection('strict').updateOne({ k }, { $set: { [`by${i}`]: true } }, { upsert: true }).then(() => 'ok', (e: { code?: number }) => e.code))),
      );
      for (const c of clients) await c.close();
      expect(results.every((r) => r === 'ok' || r === 11000)).toBe(true);
      expect(results).toContain(11000); // the race happened, and only the unique index stopped it
      expect((await coll.find({}).toArray()).map((d) => d.k).sort()).toEqual([1, 2, 3]);
    } finally {
      server.setLatency(null);
    }
  });
});
