// Saves one computed product: segments gathered to about the chunk target, re-split by strax's Rechunker, strax-format saver.
import { Rechunker, type Chunk } from '../chunk/rechunker.js';
import type { RecordLayout } from '../dtype/layout.js';
import type { DatasetSaver } from '../storage/saver.js';
import type { DatasetMetadata } from '../storage/metadata.js';

export class ProductWriter {
  private readonly rechunker: Rechunker;
  private pending: Chunk[] = [];
  private pendingBytes = 0;
  rows = 0;
  bytes = 0;

  constructor(
    readonly saver: DatasetSaver,
    readonly layout: RecordLayout,
    readonly targetMb: number,
  ) {
    this.rechunker = new Rechunker(layout, targetMb);
  }

  async add(chunk: Chunk): Promise<void> {
    this.pending.push(chunk);
    this.pendingBytes += chunk.data.length;
    this.rows += chunk.data.length / this.layout.itemsize;
    this.bytes += chunk.data.length;
    if (this.pendingBytes >= this.targetMb * 1e6) await this.flushPending();
  }

  private async flushPending(): Promise<void> {
    if (this.pending.length === 0) return;
    const parts = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const data = parts.length === 1 ? parts[0]!.data : new Uint8Array(Buffer.concat(parts.map((p) => p.data)));
    for (const c of this.rechunker.receive({ start: parts[0]!.start, end: parts[parts.length - 1]!.end, data })) await this.saver.save(c);
  }

  async finish(): Promise<DatasetMetadata> {
    await this.flushPending();
    for (const c of this.rechunker.flush()) await this.saver.save(c);
    return this.saver.close();
  }
}
