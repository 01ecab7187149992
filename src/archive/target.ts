// The ArchiveTarget interface: where migrate stores a run's blob (a mounted folder or an HTTP/WebDAV server).
import type { Readable } from 'node:stream';

/** What was stored or found: the MD5 (hex) and size in bytes of the whole object. */
export interface ObjectDigest {
  md5: string;
  size: number;
}

export interface PutOptions {
  signal?: AbortSignal;
  /** Exact byte count when known in advance (sent as Content-Length); otherwise the body is streamed chunked. */
  size?: number;
}

export interface ArchiveTarget {
  readonly kind: 'filesystem' | 'http';
  /** Where a run's object lives: a path or a URL without credentials. Goes to logs and the runs DB. */
  locate(run: number): string;
  /** Throws ServiceUnavailableError (exit 4) when the archive cannot be reached, ConfigError (3) when access is refused. */
  probe(signal?: AbortSignal): Promise<void>;
  /**
   * Stores a run's object, replacing any existing one. `open` is called once per attempt (a retry needs a fresh
   * stream). Resolves with the digest of the bytes sent, after the target has the whole object; a crash before
   * that never leaves a partial object under the final name on targets that can promise it.
   */
  put(run: number, open: () => Readable, options?: PutOptions): Promise<ObjectDigest>;
  /** The stored object as a stream, or null when there is none. */
  get(run: number, signal?: AbortSignal): Promise<Readable | null>;
  /**
   * The stored object was read back and found to be the run's blob (migrate's already-archived path). A target that
   * keeps its own checksum record next to the object (the filesystem target's `.md5` sidecar) makes it describe the
   * object: a put killed between placing the object and writing its record is completed here.
   */
  recordDigest?(run: number, digest: ObjectDigest): Promise<void>;
}
