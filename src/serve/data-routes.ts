// GET /get_data (microstrax-compatible rows as JSON, or .npy) and GET /api/data/:run (what is stored for a run).
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServeContext } from './context.js';
import { findServable, listRunDatasets } from './datasets.js';
import { jsonArrayChunks } from './encode-json.js';
import { npyHeader } from './encode-npy.js';
import { loadRows, runStartNs, streamRows, type LoadedRows, type StreamedRows } from './load-rows.js';
import { parseGetDataQuery, parseStraxRunId, refuseUnknown, type GetDataParams, type Query } from './query-params.js';
import { RequestError } from './request-error.js';

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
async function loadAndSend(ctx: ServeContext, reply: FastifyReply, params: GetDataParams): Promise<void> {
  const controller = new AbortController();
  const seconds = ctx.serve.request_timeout_s;
  const timer = setTimeout(() => controller.abort(new RequestError(503, `timed out after ${seconds} s (serve.request_timeout_s); try a smaller max_n or time range`)), seconds * 1000);
  const onClose = () => { if (!reply.raw.writableFinished) controller.abort(new RequestError(499, 'client closed the connection')); };
  reply.raw.once('close', onClose);
  const aborted = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }));
  aborted.catch(() => undefined);
  const job = ctx.queue.run(async () => {
    controller.signal.throwIfAborted();
    const ds = findServable(ctx.roots, params.runId, params.target, params.allowIncomplete, params.lineage);
    const limits = { maxLoadBytes: ctx.serve.max_load_mb * 1e6, maxReturnBytes: ctx.serve.max_return_mb * 1e6 };
    // .npy of unfiltered rows: the reply starts at once and chunks are decoded while earlier ones are being sent.
    const rows = (params.format === 'npy' ? await streamRows(ds, params, limits, controller.signal) : null)
      ?? (await loadRows(ds, params, runStartNs(await dbStart(ctx, params.runId), ds), limits, controller.signal));
    controller.signal.throwIfAborted();
    clearTimeout(timer);
    const done = finished(reply.raw).catch(() => undefined);
    sendRows(reply, params, rows);
    await done;
  });
  try {
    await Promise.race([job, aborted]);
  } finally {
    clearTimeout(timer);
    reply.raw.off('close', onClose);
  }
}

/**
 * The reply. A streamed .npy whose later chunk turns out unreadable cannot become an error reply any more (its status
 * and length are sent): the connection is cut short, which every client sees as a failed download, and it is logged.
 */
function sendRows(reply: FastifyReply, params: GetDataParams, rows: LoadedRows | StreamedRows): FastifyReply {
  const { layout, n } = rows;
  reply.header('x-daqflow-rows', String(n));
  if (params.format === 'npy') {
    const header = npyHeader(layout, n);
    reply.header('content-length', String(header.length + n * layout.itemsize));
    reply.header('content-disposition', `attachment; filename="${params.runId}-${params.target}.npy"`);
    return reply.type('application/octet-stream').send(Readable.from(npyBody(header, rows.parts), { objectMode: false }));
  }
  return reply.type('application/json; charset=utf-8').send(Readable.from(jsonArrayChunks(layout, (rows as LoadedRows).parts)));
}

async function* npyBody(header: Buffer, parts: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  yield header;
  for await (const p of parts) yield Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}

export function registerDataRoutes(app: FastifyInstance, ctx: ServeContext): void {
  app.get('/get_data', async (request, reply) => {
    const params = parseGetDataQuery(request.query as Query);
    await loadAndSend(ctx, reply, params);
    return reply;
  });

  app.get('/api/data/:run', async (request) => {
    refuseUnknown(request.query as Query, []);
    const runId = parseStraxRunId((request.params as { run: string }).run, 'run');
    return { run: runId, datasets: listRunDatasets(ctx.roots, runId) };
  });
}
