// Overlap-window processing (strax's OverlapWindowPlugin): plugins whose rows may straddle a segment boundary (peaks
// merged across a DAQ break, events looking 2.3 ms back) and everything downstream of them run here, in segment order,
// on the inputs of the current segment plus a carried window of the previous ones. Each round sends out only the rows
// that lie before `end − window` and cuts where no row straddles; the rest is recomputed with the next segment's data.
// So the rows come out as if the run were one segment, however it is cut.
import { InternalError } from '../../errors.js';
import { BufferPool } from '../../util/buffer-pool.js';
import { timeReader } from '../chunk/bounds.js';
import type { RecordLayout } from '../dtype/layout.js';
import { computeSegment, preparePlugins, type PreparedPlugin } from './executor.js';
import { prependInPlace } from './headroom.js';
import { instantiate } from './plugin.js';
import type { ResolvedPlugin } from './resolve.js';
import type { PluginInputs } from './plugin.js';

/** A field of one input's rows that indexes the rows of another input of the same segment (hits.record_i → records). */
export interface RowReference {
  from: string;
  field: string;
  into: string;
}

/** Rows sent out by one round: every output type's rows with time in [start, end). */
export interface OverlapChunk {
  start: bigint;
  end: bigint;
  rows: PluginInputs;
}

/**
 * `a` followed by `b`: a view when `b` lies right after `a` in the same buffer (consecutive segments of one stored
 * chunk) or `a` fits in the free room before `b` (the first segment of a stored chunk decoded withHeadroom), else a
 * copy of both.
 */
function join(a: Uint8Array | undefined, b: Uint8Array): Uint8Array {
  if (!a || a.length === 0) return b;
  if (b.length === 0) return a;
  if (a.buffer === b.buffer && a.byteOffset + a.length === b.byteOffset) return new Uint8Array(a.buffer, a.byteOffset, a.length + b.length);
  return prependInPlace(a, b) ?? copyJoin(a, b);
}

function copyJoin(a: Uint8Array | undefined, b: Uint8Array, buffers?: BufferPool): Uint8Array {
  const bytes = (a?.length ?? 0) + b.length;
  const out = buffers ? buffers.take(bytes) : new Uint8Array(bytes);
  if (a) out.set(a);
  out.set(b, a?.length ?? 0);
  return out;
}

/** First row index with time ≥ t (rows sorted by time). */
function firstAtOrAfter(layout: RecordLayout, rows: Uint8Array, t: bigint): number {
  const r = timeReader(layout, rows);
  let lo = 0;
  let hi = rows.length / layout.itemsize;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (r.time(mid) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Add `delta` to an integer field of every row (in place). */
function shiftField(layout: RecordLayout, rows: Uint8Array, field: string, delta: number): void {
  if (delta === 0) return;
  const f = layout.field(field);
  if (f.typestr !== '<i4' && f.typestr !== '<i8') throw new InternalError(`row reference field ${field} must be <i4 or <i8, not ${f.typestr}`);
  if (f.typestr === '<i4' && rows.byteOffset % 4 === 0 && f.offset % 4 === 0 && layout.itemsize % 4 === 0) {
    // Aligned (hits.record_i): whole words, wrapping as the DataView setter does (a little-endian host, as the
    // kernels' columns assume).
    const words = new Int32Array(rows.buffer, rows.byteOffset, rows.length >> 2);
    const stride = layout.itemsize >> 2;
    for (let i = f.offset >> 2; i < words.length; i += stride) words[i] = (words[i]! + delta) | 0;
    return;
  }
  const v = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  for (let o = f.offset; o < rows.length; o += layout.itemsize) {
    if (f.typestr === '<i4') v.setInt32(o, v.getInt32(o, true) + delta, true);
    else v.setBigInt64(o, v.getBigInt64(o, true) + BigInt(delta), true);
  }
}

function minField(layout: RecordLayout, rows: Uint8Array, field: string): number {
  const f = layout.field(field);
  const v = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  let min = Infinity;
  for (let o = f.offset; o < rows.length; o += layout.itemsize) min = Math.min(min, f.typestr === '<i4' ? v.getInt32(o, true) : Number(v.getBigInt64(o, true)));
  return min;
}

export class OverlapStage {
  private carry: PluginInputs = {};
  private carryStart: bigint;
  private sentUntil: bigint;
  private lastEnd: bigint;

  /**
   * @param plugins the windowed plugins and their descendants, dependencies first
   * @param inputs layouts of the rows fed in per segment (outputs of the segment-local plugins or stored products)
   * @param outputs layouts of the types to send out
   * @param windowNs how far a row's computation may look either side (the sum of the plugins' windows)
   * @param copies where the stage's own copies of re-based inputs come from, each given back once the carry has moved
   *   past it: only when no plugin keeps a view of its inputs once compute() returns (daqflow's own plugins)
   */
  constructor(
    private readonly runId: string,
    private readonly plugins: PreparedPlugin[],
    private readonly inputs: ReadonlyMap<string, RecordLayout>,
    private readonly outputs: ReadonlyMap<string, RecordLayout>,
    private readonly windowNs: bigint,
    private readonly references: readonly RowReference[],
    start: bigint,
    private readonly copies?: BufferPool,
  ) {
    this.carryStart = start;
    this.sentUntil = start;
    this.lastEnd = start;
  }

  /** Add the next segment's inputs; returns the rows that can be sent out now, if any. */
  async add(end: bigint, inputs: PluginInputs): Promise<OverlapChunk | undefined> {
    const carried = new Map([...this.inputs].map(([type, layout]) => [type, (this.carry[type]?.length ?? 0) / layout.itemsize]));
    for (const [type, layout] of this.inputs) {
      const rows = inputs[type] ?? new Uint8Array(0);
      const refs = this.references.filter((r) => r.from === type);
      if (refs.length === 0) {
        this.carry[type] = join(this.carry[type], rows);
        continue;
      }
      // The caller may still use these rows (a product writer holds them): the carry owns a copy, re-based in place.
      const old = this.carry[type];
      const joined = copyJoin(old, rows, this.copies);
      const appended = joined.subarray(old?.length ?? 0);
      for (const ref of refs) shiftField(layout, appended, ref.field, carried.get(ref.into)!);
      this.carry[type] = joined;
      // The previous copy held only the carry (rows sent out of it were copied: round()), which now lies in `joined`.
      if (old) this.copies?.give(old);
    }
    this.lastEnd = end;
    return this.round(false);
  }

  /** Whether a carried input lies in `buffer`. */
  holds(buffer: ArrayBufferLike): boolean {
    return Object.values(this.carry).some((rows) => rows.buffer === buffer);
  }

  /** The run ended: send out everything not sent yet. */
  async finish(): Promise<OverlapChunk | undefined> {
    return this.round(true);
  }

  private async round(final: boolean): Promise<OverlapChunk | undefined> {
    let cut = final ? this.lastEnd : this.lastEnd - this.windowNs;
    if (cut <= this.sentUntil) return undefined;
    const keep = [...this.outputs.keys()];
    const all = await computeSegment(this.plugins, { range: { runId: this.runId, start: this.carryStart, end: this.lastEnd }, inputs: this.carry, keep }, false);
    // Move the cut back until no output row straddles it (strax's split with allow_early_split).
    for (let moved = true; moved; ) {
      moved = false;
      for (const [type, layout] of this.outputs) {
        const rows = all[type]!;
        const r = timeReader(layout, rows);
        for (let i = 0; i < rows.length / layout.itemsize && r.time(i) < cut; i++) {
          if (r.endtime(i) > cut) [cut, moved] = [r.time(i), true];
        }
      }
    }
    if (cut <= this.sentUntil) return undefined;
    const out: PluginInputs = {};
    for (const [type, layout] of this.outputs) {
      const rows = all[type]!;
      const sent = rows.subarray(firstAtOrAfter(layout, rows, this.sentUntil) * layout.itemsize, firstAtOrAfter(layout, rows, cut) * layout.itemsize);
      // A view of this round's own output (it holds on to only the few rows past the cut); a copy if a plugin handed
      // back rows of a carried input, which later rounds re-base or drop.
      out[type] = Object.values(this.carry).some((c) => c.buffer === rows.buffer) ? new Uint8Array(sent) : sent;
    }
    const chunk = { start: this.sentUntil, end: cut, rows: out };
    this.sentUntil = cut;
    this.trimCarry(cut - this.windowNs);
    return chunk;
  }

  /** Drop carried inputs before `t`, keeping every row a kept row refers to; re-base the references. */
  private trimCarry(t: bigint): void {
    if (t <= this.carryStart) return;
    const drop = new Map<string, number>();
    for (const [type, layout] of this.inputs) drop.set(type, firstAtOrAfter(layout, this.carry[type]!, t));
    for (const ref of this.references) {
      const layout = this.inputs.get(ref.from)!;
      const kept = this.carry[ref.from]!.subarray(drop.get(ref.from)! * layout.itemsize);
      drop.set(ref.into, Math.min(drop.get(ref.into)!, minField(layout, kept, ref.field)));
    }
    // Views, not copies: a carry holds on to at most the buffer of the segment (or stored chunk) it came from, and
    // the next segment of that chunk then joins it without a copy. Carries with references are the stage's own copies
    // (add), so they are re-based in place.
    for (const [type, layout] of this.inputs) this.carry[type] = this.carry[type]!.subarray(drop.get(type)! * layout.itemsize);
    for (const ref of this.references) shiftField(this.inputs.get(ref.from)!, this.carry[ref.from]!, ref.field, -drop.get(ref.into)!);
    this.carryStart = t;
  }
}

/** The computed plugins split into segment-local ones and the overlap stage (windowed plugins and all downstream). */
export interface WindowSplit {
  local: ResolvedPlugin[];
  windowed: ResolvedPlugin[];
  /** Inputs of the overlap stage that it does not compute itself (segment-local outputs or stored products). */
  external: string[];
}

export function splitWindowed(plan: ResolvedPlugin[], order: ResolvedPlugin[]): WindowSplit {
  const inStage = new Set<string>();
  for (const r of plan) if (r.cls.overlapWindow || r.cls.dependsOn.some((d) => inStage.has(d))) inStage.add(r.dataType);
  const windowed = order.filter((r) => inStage.has(r.dataType));
  const computed = new Set(windowed.map((r) => r.dataType));
  const external = [...new Set(windowed.flatMap((r) => r.cls.dependsOn).filter((d) => !computed.has(d)))];
  return { local: order.filter((r) => !inStage.has(r.dataType)), windowed, external };
}

/**
 * The overlap stage of a run. `reuseCopies`: the plugins keep no view of an input once compute() returns, so the
 * stage's copies of re-based inputs (a segment's hits with the carried ones) are made in buffers used before, instead
 * of fresh memory each segment.
 */
export function overlapStage(runId: string, split: WindowSplit, start: bigint, byType: Map<string, ResolvedPlugin>, reuseCopies = false): OverlapStage {
  const layoutOf = (t: string) => instantiate(byType.get(t)!.cls, byType.get(t)!.config).layout;
  const plugins = preparePlugins((t) => byType.get(t)!.cls, split.windowed.map((r) => ({ dataType: r.dataType, config: r.config })));
  const windowNs = split.windowed.reduce((a, r) => a + (r.cls.overlapWindow?.(r.config) ?? 0), 0);
  const references = split.external.flatMap((t) => {
    const ref = byType.get(t)!.cls.rowReference;
    return ref && split.external.includes(ref.into) ? [{ from: t, field: ref.field, into: ref.into }] : [];
  });
  return new OverlapStage(
    runId, plugins, new Map(split.external.map((t) => [t, layoutOf(t)])), new Map(split.windowed.map((r) => [r.dataType, layoutOf(r.dataType)])),
    BigInt(windowNs), references, start, reuseCopies ? new BufferPool(COPIES_MAX_FREE_BYTES, (bytes) => new Uint8Array(Math.ceil(bytes * COPY_SLACK))) : undefined,
  );
}

/** Free copy buffers a stage keeps: a few segments' hits (~15 MB each on the parity bench). */
const COPIES_MAX_FREE_BYTES = 256e6;
/** Copy buffers are made this much larger than asked: segments differ in size, and untouched pages cost nothing. */
const COPY_SLACK = 1.25;
