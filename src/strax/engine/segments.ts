// Processing segments: the run's live chunks (cut by the DAQ at quiet gaps in pulses), and re-slicing a stored chunk
// stream into them.
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

/** Hands out the rows of a time-sorted chunk stream segment by segment (rows with time < end). */
export class SegmentSlicer {
  private pending: Uint8Array = new Uint8Array(0);
  private done = false;
  constructor(
    private readonly source: AsyncIterator<ChunkData>,
    private readonly layout: RecordLayout,
  ) {}

  private timeAt(i: number): bigint {
    return new DataView(this.pending.buffer, this.pending.byteOffset + i * this.layout.itemsize, 8).getBigInt64(0, true);
  }

  private rows(): number {
    return this.pending.length / this.layout.itemsize;
  }

  async take(end: bigint): Promise<Uint8Array> {
    while (!this.done && (this.rows() === 0 || this.timeAt(this.rows() - 1) < end)) {
      const next = await this.source.next();
      if (next.done) {
        this.done = true;
        break;
      }
      if (next.value.data.length === 0) continue;
      if (this.rows() === 0) this.pending = next.value.data;
      else {
        const joined = new Uint8Array(this.pending.length + next.value.data.length);
        joined.set(this.pending);
        joined.set(next.value.data, this.pending.length);
        this.pending = joined;
      }
    }
    let lo = 0;
    let hi = this.rows();
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.timeAt(mid) < end) lo = mid + 1;
      else hi = mid;
    }
    const out = this.pending.subarray(0, lo * this.layout.itemsize);
    this.pending = this.pending.subarray(lo * this.layout.itemsize);
    return out;
  }
}
