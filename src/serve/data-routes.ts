// GET /get_data (microstrax-compatible rows as JSON, or .npy) and GET /api/data/:run (what is stored for a run).
import { finished } from 'node:stream/promises';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { lz4DecodeBuffer } from '../strax/compress/lz4-into.js';
import { BufferPool } from '../util/buffer-pool.js';
import type { ServeContext } from './context.js';
import { cutShort } from './cut-short.js';
import { findServable, listRunDatasets } from './datasets.js';
import { JsonArrayWriter } from './encode-json.js';
import { npyHeader } from './encode-npy.js';
import { loadRows, runStartNs, streamRows, type LoadedRows, type StreamedRows } from './load-rows.js';
import { parseGetDataQuery, parseStraxRunId, refuseUnknown, type GetDataParams, type Query } from './query-params.js';
import { describeError, RequestError } from './request-error.js';

/**
 * Free decoded-chunk buffers kept for reuse: a few MB-sized chunks for each of several replies; larger ones are not
 * kept. Counted in whole WebAssembly memories, each about twice its chunk (room for the compressed frame), of which
 * only the chunk and its frame are ever touched.
 */
const POOL_MAX_FREE_BYTES = 64e6;
/** Bytes of JSON text per socket write. */
const JSON_CHUNK_BYTES = 256 * 1024;
/** Free buffers of JSON text kept for reuse: a few replies' worth of writes in flight. */
const TEXT_POOL_MAX_FREE_BYTES = 16e6;
/** Free buffers for compressed chunk files, read before decoding: a read holds at most two. */
const FRAME_POOL_MAX_FREE_BYTES = 16e6;

/** The server's reused buffers: decoded chunks (LZ4 decode buffers), compressed files being read, JSON text. */
interface ServerBuffers {
  chunks: BufferPool;
  frames: BufferPool;
  text: BufferPool;
}

async function dbStart(ctx: ServeContext, runId: string): Promise<Date | null> {
  if (!/^\d+$/.test(runId)) return null;
  const doc = await ctx.store.getRun(Number(runId), { fields: ['start'] });
  return doc?.start instanceof Date ? doc.start : null;
}

/**
 * Loads and sends inside one load-queue slot, so memory is bounded by concurrency × load limit: the slot is freed
 * only when the reply has been written out (or the client went away). Until the reply starts, the request's deadline
 * applies; a client that goes away aborts its load.
 */
async function loadAndSend(ctx: ServeContext, buffers: ServerBuffers, reply: FastifyReply, params: GetDataParams): Promise<void> {
  const controller = new AbortController();
  const seconds = ctx.serve.request_timeout_s;
  const timer = setTimeout(() => controller.abort(new RequestError(503, `timed out after ${seconds} s (serve.request_timeout_s); try a smaller max_n or time range`)), seconds * 1000);
  const onClose = () => { if (!reply.raw.writableFinished) controller.abort(new RequestError(499, 'client closed the connection')); };
  reply.raw.once('close', onClose);
  const aborted = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }));
  aborted.catch(() => undefined);
  const job = ctx.queue.run(async () => {
    controller.signal.throwIfAborted();
    const ds = findServable(ctx.roots, params.runId, params.target, params.allowIncomplete, params.lineage, (folder) => ctx.datasets.inspect(folder));
    const limits = { maxLoadBytes: ctx.serve.max_load_mb * 1e6, maxReturnBytes: ctx.serve.max_return_mb * 1e6 };
    // Unfiltered rows: the reply starts at once and chunks are decoded while earlier ones are being sent. The pool's
    // buffers are lz4's in-place decode buffers; other codecs decode into fresh ones, which the pool ignores.
    const decodeInto = ds.metadata?.compressor === 'lz4' ? (bytes: number) => buffers.chunks.take(bytes) : undefined;
    const rows = (await streamRows(ds, params, limits, controller.signal, { decodeInto, frameBuffers: buffers.frames }))
      ?? (await loadRows(ds, params, runStartNs(await dbStart(ctx, params.runId), ds), limits, controller.signal, { frameBuffers: buffers.frames }));
    controller.signal.throwIfAborted();
    clearTimeout(timer);
    const done = finished(reply.raw).catch(() => undefined);
    if (params.format === 'npy') await writeNpy(ctx, buffers.chunks, reply, params, rows);
    else await writeJson(ctx, buffers, reply, params, rows);
    await done;
  });
  try {
    await Promise.race([job, aborted]);
  } finally {
    clearTimeout(timer);
    reply.raw.off('close', onClose);
  }
}

/** A piece of a streamed reply, and the pool it goes back to once the socket has flushed it (none: left to the GC). */
type Piece = readonly [bytes: Uint8Array, pool: BufferPool | null];

/**
 * A reply written here rather than piped by fastify: each piece is written once and given back to its pool when the
 * socket has flushed it (not before: the socket keeps a reference until then), and the next piece is made (a chunk
 * decoded, text encoded) while this one drains. A reply whose later chunk turns out unreadable cannot become an error
 * reply any more (its status is sent): the connection is cut short (cutShort), which every client sees as a failed
 * download, and it is logged.
 */
async function streamReply(ctx: ServeContext, reply: FastifyReply, params: GetDataParams, headers: Record<string, string>, pieces: AsyncIterable<Piece>): Promise<void> {
  const res = reply.raw;
  reply.hijack();
  res.writeHead(200, headers);
  try {
    for await (const [bytes, pool] of pieces) {
      if (res.destroyed) return;
      if (!res.write(bytes, (error) => { if (!error) pool?.give(bytes); })) await drainedOrClosed(res);
    }
    res.end();
  } catch (error) {
    const { message } = describeError(error);
    if (!res.destroyed) ctx.logger.warn(`GET /get_data: ${params.runId} ${params.target}: reply cut short: ${message}`);
    cutShort(res);
  }
}

/**
 * The JSON reply: the text of each chunk's rows as it is encoded, into reused buffers; the chunk's buffer goes back
 * to the pool once its rows are encoded. Chunked transfer: the length is known only at the end.
 */
function writeJson(ctx: ServeContext, buffers: ServerBuffers, reply: FastifyReply, params: GetDataParams, rows: LoadedRows | StreamedRows): Promise<void> {
  const writer = new JsonArrayWriter(rows.layout, { chunkBytes: JSON_CHUNK_BYTES, take: (bytes) => buffers.text.take(bytes) });
  async function* pieces(): AsyncGenerator<Piece> {
    for await (const part of rows.parts) {
      for (const text of writer.rows(part)) yield [text, buffers.text];
      buffers.chunks.give(part);
    }
    yield [writer.end(), null];
  }
  return streamReply(ctx, reply, params, { 'content-type': 'application/json; charset=utf-8', 'x-daqflow-rows': String(rows.n) }, pieces());
}

/** The .npy reply: the header, then each decoded chunk as it is. */
function writeNpy(ctx: ServeContext, pool: BufferPool, reply: FastifyReply, params: GetDataParams, rows: LoadedRows | StreamedRows): Promise<void> {
  const { layout, n } = rows;
  const header = npyHeader(layout, n);
  async function* pieces(): AsyncGenerator<Piece> {
    yield [header, null];
    for await (const part of rows.parts) yield [part, pool];
  }
  const headers = {
    'content-type': 'application/octet-stream',
    'content-length': String(header.length + n * layout.itemsize),
    'content-disposition': `attachment; filename="${params.runId}-${params.target}.npy"`,
    'x-daqflow-rows': String(n),
  };
  return streamReply(ctx, reply, params, headers, pieces());
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export function registerDataRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const buffers: ServerBuffers = {
    chunks: new BufferPool(POOL_MAX_FREE_BYTES, lz4DecodeBuffer),
    frames: new BufferPool(FRAME_POOL_MAX_FREE_BYTES),
    // every text buffer as large as the largest write, so that any free one fits any write
    text: new BufferPool(TEXT_POOL_MAX_FREE_BYTES, (bytes) => new Uint8Array(Math.max(bytes, 2 * JSON_CHUNK_BYTES))),
  };
  app.get('/get_data', async (request, reply) => {
    const params = parseGetDataQuery(request.query as Query);
    await loadAndSend(ctx, buffers, reply, params);
    return reply;
  });

  app.get('/api/data/:run', async (request) => {
    refuseUnknown(request.query as Query, []);
    const runId = parseStraxRunId((request.params as { run: string }).run, 'run');
    return { run: runId, datasets: listRunDatasets(ctx.roots, runId) };
  });
}
