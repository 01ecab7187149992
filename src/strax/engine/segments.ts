// Processing segments: the run's live chunks (cut by the DAQ at quiet gaps in pulses), and re-slicing a stored chunk
// stream into them.
import { joinParts } from '../chunk/rechunker.js';
import type { RecordLayout } from '../dtype/layout.js';
import type { ChunkData } from '../storage/chunk-reader.js';
import type { PyJson } from '../json/values.js';

export interface Segment {
  start: bigint;
  end: bigint;
}

/** Metadata key under which every product records the segment plan it was computed with. */
export const SEGMENTS_KEY = 'daqflow_segments';

export function segmentsToPyJson(segments: readonly Segment[]): PyJson {
  return segments.map((s) => [s.start, s.end]);
}

export function segmentsFromPyJson(value: PyJson | undefined): Segment[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: Segment[] = [];
  for (const pair of value) {
    if (!Array.isArray(pair) || pair.length !== 2) return undefined;
    const [a, b] = pair;
    if ((typeof a !== 'bigint' && typeof a !== 'number') || (typeof b !== 'bigint' && typeof b !== 'number')) return undefined;
    out.push({ start: BigInt(a), end: BigInt(b) });
  }
  return out;
}

/**
 * Hands out the rows of a time-sorted chunk stream segment by segment (rows with time < end): views into the decoded
 * chunk, copied only for a segment that spans chunks (and then only its own rows). A chunk is read only when the
 * segment needs it: a segment ending where a chunk ends does not wait for (nor hold) the next one.
 */
export class SegmentSlicer {
  /** Rows not handed out yet, in order: the rest of one chunk, then whole chunks. */
  private pending: Uint8Array[] = [];
  private done = false;
  /** The end of the last chunk read: every later row has a time at or after it (chunks are contiguous). */
  private readUntil: bigint | undefined;
  constructor(
    private readonly source: AsyncIterator<ChunkData>,
    private readonly layout: RecordLayout,
  ) {}

  private timeAt(rows: Uint8Array, i: number): bigint {
    return new DataView(rows.buffer, rows.byteOffset + i * this.layout.itemsize, 8).getBigInt64(0, true);
  }

  private rows(part: Uint8Array): number {
    return part.length / this.layout.itemsize;
  }

  /** Whether rows not handed out yet lie in `buffer`. */
  holds(buffer: ArrayBufferLike): boolean {
    return this.pending.some((part) => part.buffer === buffer);
  }

  async take(end: bigint): Promise<Uint8Array> {
    for (;;) {
      const last = this.pending[this.pending.length - 1];
      if (this.done || (this.readUntil !== undefined && this.readUntil >= end) || (last && this.timeAt(last, this.rows(last) - 1) >= end)) break;
      const next = await this.source.next();
      if (next.done) this.done = true;
      else {
        this.readUntil = next.value.end;
        if (next.value.data.length > 0) this.pending.push(next.value.data);
      }
    }
    const parts: Uint8Array[] = [];
    while (this.pending.length > 0) {
      const part = this.pending[0]!;
      let lo = 0;
      let hi = this.rows(part);
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.timeAt(part, mid) < end) lo = mid + 1;
        else hi = mid;
      }
      if (lo > 0) parts.push(part.subarray(0, lo * this.layout.itemsize));
      if (lo < this.rows(part)) {
        this.pending[0] = part.subarray(lo * this.layout.itemsize);
        break;
      }
      this.pending.shift();
    }
    return parts.length === 0 ? new Uint8Array(0) : joinParts(parts);
  }
}
