// Saves one computed product: whole segments grouped up to the chunk target (a segment above it is re-split by strax's
// rechunk rule), each chunk compressed by the executor (a worker thread when there are workers), written in order.
import { rowTimes, type RowTimes } from '../chunk/bounds.js';
import { Rechunker, type Chunk } from '../chunk/rechunker.js';
import type { CompressorName } from '../compress/types.js';
import type { RecordLayout } from '../dtype/layout.js';
import type { DatasetSaver } from '../storage/saver.js';
import type { DatasetMetadata } from '../storage/metadata.js';
import type { CompressTask } from './executor.js';

export interface ProductCodec {
  compressor: CompressorName;
  level?: number;
  /** Compresses off the caller's thread when it can (WorkerExecutor.compress); the parts may be transferred. */
  compress: (task: CompressTask) => Promise<Uint8Array>;
  /** Chunks compressed or being written at once before add() waits (default 2). */
  maxPending?: number;
}

export class ProductWriter {
  private parts: Chunk[] = [];
  private partBytes = 0;
  /** Every part's rows are the writer's alone, so compression may take their buffers over (see add()). */
  private partsOwned = true;
  private chain: Promise<void> = Promise.resolve();
  /** The parts of chunks whose compression has not finished (a codec may read them until then). */
  private readonly compressing = new Set<readonly Uint8Array[]>();
  private readonly pending: Array<Promise<void>> = [];
  rows = 0;
  bytes = 0;

  constructor(
    readonly saver: DatasetSaver,
    readonly layout: RecordLayout,
    readonly targetMb: number,
    private readonly codec: ProductCodec,
  ) {}

  /**
   * Add the next segment's rows (segments arrive in time order, contiguous). `handOver`: the caller keeps no view on
   * the rows' buffer, so a worker thread may take it over when it compresses them; otherwise they are copied for it.
   */
  async add(chunk: Chunk, handOver = false): Promise<void> {
    this.rows += chunk.data.length / this.layout.itemsize;
    this.bytes += chunk.data.length;
    const target = this.targetMb * 1e6;
    if (this.parts.length > 0 && this.partBytes + chunk.data.length > target) this.emit();
    if (chunk.data.length > target) {
      // No row straddles a segment boundary (nor an overlap-stage cut); inside a big segment cut where strax would.
      const r = new Rechunker(this.layout, this.targetMb);
      const pieces = [...r.receive(chunk), ...r.flush()];
      for (const piece of pieces.slice(0, -1)) {
        this.parts.push(piece);
        this.partsOwned &&= handOver;
        this.emit();
      }
      chunk = pieces[pieces.length - 1]!;
    }
    this.parts.push(chunk);
    this.partsOwned &&= handOver;
    this.partBytes += chunk.data.length;
    const max = this.codec.maxPending ?? 2;
    while (this.pending.length > max) await this.pending.shift();
  }

  /** Close the current group of parts as one chunk: compression starts now, the write follows in order. */
  private emit(): void {
    const parts = this.parts;
    const handOver = this.partsOwned;
    this.parts = [];
    this.partBytes = 0;
    this.partsOwned = true;
    const start = parts[0]!.start;
    const end = parts[parts.length - 1]!.end;
    const data = parts.map((p) => p.data).filter((d) => d.length > 0);
    const nbytes = data.reduce((a, d) => a + d.length, 0);
    let times: RowTimes | undefined;
    let frame: Promise<Uint8Array | undefined> = Promise.resolve(undefined);
    if (nbytes > 0) {
      const first = rowTimes(this.layout, data[0]!)!;
      const last = rowTimes(this.layout, data[data.length - 1]!)!;
      times = { first_time: first.first_time, first_endtime: first.first_endtime, last_time: last.last_time, last_endtime: last.last_endtime };
      frame = this.codec.compress({ compressor: this.codec.compressor, level: this.codec.level, parts: data, handOver });
      this.compressing.add(data);
      frame.then(
        () => this.compressing.delete(data),
        () => this.compressing.delete(data), // the error is reported through the chain
      );
    }
    const link = this.chain.then(async () => {
      await this.saver.saveCompressed({ start, end, nbytes, frame: await frame, times });
    });
    link.catch(() => undefined); // reported by add() or finish()
    this.chain = link;
    this.pending.push(link);
  }

  /** Whether rows this writer still has to compress lie in `buffer`. */
  holds(buffer: ArrayBufferLike): boolean {
    const inside = (data: Uint8Array) => data.buffer === buffer;
    return this.parts.some((p) => inside(p.data)) || [...this.compressing].some((parts) => parts.some(inside));
  }

  async finish(): Promise<DatasetMetadata> {
    if (this.parts.length > 0) this.emit();
    await this.chain;
    return this.saver.close();
  }
}
