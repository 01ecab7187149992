// Streamed MD5 and byte counting: a pass-through that digests what flows through it, memory independent of size.
// (Hashing on a worker thread was tried: on the 2-core test machine it was slower than hashing here; see PERFORMANCE.md.)
import crypto from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectDigest } from './target.js';

export class DigestStream extends Transform {
  private readonly hash = crypto.createHash('md5');
  private bytes = 0;
  private result: ObjectDigest | undefined;

  constructor() {
    super({ highWaterMark: 1 << 20 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  /** The MD5 and size of everything that passed; call once the stream has ended. */
  async digest(): Promise<ObjectDigest> {
    this.result ??= { md5: this.hash.digest('hex'), size: this.bytes };
    return this.result;
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
