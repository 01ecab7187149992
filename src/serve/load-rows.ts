// /get_data's load: microstrax's time range, max_n and memory/reply limits, applied to one stored dataset.
import type { ChunkMetadata } from '../strax/storage/metadata.js';
import type { StoredDataset } from '../strax/storage/dataset.js';
import { layoutOf, readChunks, type ReadOptions } from '../strax/storage/chunk-reader.js';
import type { RecordLayout } from '../strax/dtype/layout.js';
import { RecordView } from '../strax/dtype/rows.js';
import { compileSelection, type SelectionAst } from './selection.js';
import { RequestError } from './request-error.js';
import { readAhead } from '../util/read-ahead.js';

export interface LoadRequest {
  runId: string;
  target: string;
  /** null: no limit (microstrax: max_n <= 0). */
  maxN: number | null;
  /** Seconds from the run start; both or neither (as microstrax). */
  start: number | null;
  end: number | null;
  selection: SelectionAst | null;
  allowIncomplete: boolean;
  /** The lineage hash to read when several are stored; null: the only one. */
  lineage: string | null;
}

export interface LoadLimits {
  maxLoadBytes: number;
  maxReturnBytes: number;
}

export interface LoadedRows {
  layout: RecordLayout;
  n: number;
  /** The packed rows in pieces (whole rows each, n × itemsize bytes in all), as read: no copy into one buffer. */
  parts: Uint8Array[];
}

/** The chunks to read and how many bytes they decode to, following microstrax's estimate (it may stop early for max_n). */
export function planLoad(chunks: readonly ChunkMetadata[], range: [bigint, bigint] | null, maxN: number | null): { first: number; last: number; bytes: number; end: bigint | null } {
  const full = chunks.reduce((a, c) => a + c.nbytes, 0);
  const span: [bigint, bigint] = range ?? [chunks[0]!.start, chunks[chunks.length - 1]!.end];
  let first = -1;
  let last = -1;
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i]!;
    if (c.start > span[1] || c.end < span[0]) continue;
    if (first < 0) first = i;
    last = i;
  }
  if (maxN === null || first < 0) return { first, last, bytes: full, end: null };
  let bytes = 0;
  let atLeast = 0;
  for (let i = first; i <= last; i++) {
    const c = chunks[i]!;
    bytes += c.nbytes;
    if (c.start > span[0] && c.end < span[1]) atLeast += c.n;
    if (atLeast > maxN) return { first, last: i, bytes, end: c.end };
  }
  return { first, last, bytes, end: null };
}

/** Run start in ns as strax estimates it: the runs DB start (whole seconds), else the first chunk's start. */
export function runStartNs(dbStart: Date | null, ds: StoredDataset): bigint {
  if (dbStart && !Number.isNaN(dbStart.getTime())) return BigInt(Math.floor(dbStart.getTime() / 1000)) * 1_000_000_000n;
  return ds.metadata!.chunks[0]!.start;
}

/** The server's reusable buffers for a read: compressed files and (for streamed rows) decoded chunks. */
export type ReadBuffers = Pick<ReadOptions, 'decodeInto' | 'frameBuffers'>;

export async function loadRows(ds: StoredDataset, req: LoadRequest, t0: bigint, limits: LoadLimits, signal?: AbortSignal, buffers: ReadBuffers = {}): Promise<LoadedRows> {
  const md = ds.metadata!;
  const what = `${req.target} for run ${req.runId}`;
  if (md.chunks.length === 0) throw new RequestError(404, `${what}: no chunks available -- either the first chunk has yet to be written, or something is wrong`);
  const layout = layoutOf(ds);
  const range: [bigint, bigint] | null =
    req.start !== null && req.end !== null ? [t0 + BigInt(Math.trunc(req.start * 1e9)), t0 + BigInt(Math.trunc(req.end * 1e9))] : null;
  const plan = planLoad(md.chunks, range, req.maxN);
  if (plan.bytes > limits.maxLoadBytes) {
    throw new RequestError(413, `Cannot load ${what}: it would take more than ${limits.maxLoadBytes / 1e6} MB RAM to load.`);
  }
  const out: Uint8Array[] = [];
  let n = 0;
  const select = req.selection ? compileSelection(req.selection, layout) : null;
  const want = req.maxN ?? Infinity;
  if (plan.first >= 0) {
    for await (const chunk of readChunks(ds, { allowIncomplete: req.allowIncomplete, chunks: { first: plan.first, last: plan.last }, frameBuffers: buffers.frameBuffers })) {
      signal?.throwIfAborted();
      if (chunk.n === 0) continue;
      const view = new RecordView(layout, chunk.data);
      const keep = rowFilter(view, range, select);
      n += copySelected(chunk.data, layout.itemsize, chunk.n, keep, want - n, out);
      if (n >= want) break;
    }
  }
  const bytes = n * layout.itemsize;
  if (bytes > limits.maxReturnBytes) {
    throw new RequestError(413, `Not converting ${what} to json since the binary data is ${(bytes / 1e6).toFixed(1)} MB. Try lowering max_n.`);
  }
  return { layout, n, parts: out };
}

export interface StreamedRows {
  layout: RecordLayout;
  n: number;
  /** Whole rows, chunk by chunk, decoded as the reply is written. */
  parts: AsyncIterable<Uint8Array>;
}

/**
 * Rows with no time range and no selection, as a stream: their count is known from the metadata before any chunk is
 * decoded (each chunk decodes to exactly its n rows, or the read fails), so a reply can be written while the later
 * chunks are still being read: one chunk ahead of the one being sent, so at most three are held (one in the socket,
 * one decoded, one being read). Null when the rows must be filtered first, or when loadRows would refuse the request
 * (it then says why). The first chunk is read before this returns, so a dataset that cannot be read at all still gets
 * an error reply. With buffers, files are read and chunks decoded into the caller's buffers where the codec can (see
 * ReadOptions).
 */
export async function streamRows(ds: StoredDataset, req: LoadRequest, limits: LoadLimits, signal?: AbortSignal, buffers: ReadBuffers = {}): Promise<StreamedRows | null> {
  const md = ds.metadata!;
  if (req.start !== null || req.end !== null || req.selection !== null || md.chunks.length === 0) return null;
  const layout = layoutOf(ds);
  const plan = planLoad(md.chunks, null, req.maxN);
  if (plan.first < 0 || plan.bytes > limits.maxLoadBytes) return null;
  const stored = md.chunks.slice(plan.first, plan.last + 1).reduce((a, c) => a + c.n, 0);
  const n = Math.min(stored, req.maxN ?? Infinity);
  if (n * layout.itemsize > limits.maxReturnBytes) return null;
  async function* parts(): AsyncGenerator<Uint8Array> {
    let left = n;
    for await (const chunk of readChunks(ds, { allowIncomplete: req.allowIncomplete, chunks: { first: plan.first, last: plan.last }, ...buffers })) {
      signal?.throwIfAborted();
      if (chunk.n === 0) continue;
      const take = Math.min(chunk.n, left);
      yield take === chunk.n ? chunk.data : chunk.data.subarray(0, take * layout.itemsize);
      left -= take;
      if (left === 0) return; // before the next chunk is read and decoded for nothing
    }
  }
  // Chunk k+1 is read and decoded while chunk k drains to the socket.
  const rest = readAhead(parts());
  const first = await rest.next();
  async function* all(): AsyncGenerator<Uint8Array> {
    if (!first.done) yield first.value;
    yield* rest;
  }
  return { layout, n, parts: all() };
}

/** strax's default time selection (fully contained: time >= start and endtime <= end), then the user's selection. */
function rowFilter(view: RecordView, range: [bigint, bigint] | null, select: ((v: RecordView) => (i: number) => boolean) | null): ((i: number) => boolean) | null {
  const sel = select ? select(view) : null;
  if (!range) return sel;
  const [lo, hi] = range;
  const inRange = (i: number) => view.time(i) >= lo && view.endtime(i) <= hi;
  return sel ? (i) => inRange(i) && sel(i) : inRange;
}

/** Appends up to `room` kept rows (contiguous runs copied at once); returns how many. */
function copySelected(data: Uint8Array, size: number, n: number, keep: ((i: number) => boolean) | null, room: number, out: Uint8Array[]): number {
  if (!keep) {
    const take = Math.min(n, room);
    out.push(take === n ? data : data.subarray(0, take * size));
    return take;
  }
  let taken = 0;
  let runStart = -1;
  for (let i = 0; i < n && taken < room; i++) {
    if (keep(i)) {
      if (runStart < 0) runStart = i;
      taken++;
    } else if (runStart >= 0) {
      out.push(data.subarray(runStart * size, i * size));
      runStart = -1;
    }
    if (taken === room && runStart >= 0) {
      out.push(data.subarray(runStart * size, (i + 1) * size));
      runStart = -1;
    }
  }
  if (runStart >= 0) out.push(data.subarray(runStart * size, n * size));
  return taken;
}
