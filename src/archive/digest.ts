// Streamed MD5 and byte counting: a pass-through that digests what flows through it, memory independent of size.
import crypto from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { ObjectDigest } from './target.js';

export class DigestStream extends Transform {
  private readonly hash = crypto.createHash('md5');
  private bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  /** Valid once the stream has ended. */
  digest(): ObjectDigest {
    return { md5: this.hash.copy().digest('hex'), size: this.bytes };
  }
}

/** Read a stream to its end and return its MD5 and size. */
export async function digestOf(source: Readable | AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<ObjectDigest> {
  const hash = crypto.createHash('md5');
  let size = 0;
  for await (const chunk of source) {
    signal?.throwIfAborted();
    hash.update(chunk as Uint8Array);
    size += (chunk as Uint8Array).length;
  }
  return { md5: hash.digest('hex'), size };
}
