// Streamed MD5 and byte counting: a pass-through that digests what flows through it, memory independent of size.
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WorkerMd5 } from './md5-worker.js';
import type { ObjectDigest } from './target.js';

export class DigestStream extends Transform {
  /** Started with the first byte, so a stream that never runs holds nothing on the worker. */
  private worker: WorkerMd5 | undefined;
  private bytes = 0;
  private result: Promise<ObjectDigest> | undefined;

  constructor() {
    super({ highWaterMark: 1 << 20 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    this.push(chunk);
    const wait = this.md5().update(chunk);
    if (wait) void wait.then(() => callback());
    else callback();
  }

  override _flush(callback: (error?: Error | null) => void): void {
    void this.digest(); // finish the worker's session even if nobody asks for the result
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error && this.result === undefined) this.worker?.abandon();
    callback(error);
  }

  /** The MD5 and size of everything that passed; call once the stream has ended. */
  digest(): Promise<ObjectDigest> {
    this.result ??= this.md5().digest().then((md5) => ({ md5, size: this.bytes }));
    return this.result;
  }

  private md5(): WorkerMd5 {
    return (this.worker ??= new WorkerMd5());
  }
}

/** Read a stream to its end and return its MD5 and size. */
export async function digestOf(source: Readable | AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<ObjectDigest> {
  const digest = new DigestStream();
  await pipeline(source, digest, async (chunks: AsyncIterable<Buffer>) => {
    for await (const _ of chunks) void _;
  }, { signal });
  return digest.digest();
}
