// The compressor interface: one compressed frame per chunk file, decoded size checked against n × itemsize.

export const COMPRESSOR_NAMES = ['blosc', 'zstd', 'lz4', 'bz2'] as const;
export type CompressorName = (typeof COMPRESSOR_NAMES)[number];

export interface Compressor {
  readonly name: CompressorName;
  /** Compress the whole buffer into exactly one frame (the entire chunk file). */
  compress(data: Uint8Array): Promise<Uint8Array>;
  /**
   * Decode exactly one frame that must hold `expectedBytes` bytes. Throws FrameError on a truncated frame, trailing
   * bytes after the frame (a second frame), or a size mismatch.
   */
  decompress(frame: Uint8Array, expectedBytes: number): Promise<Uint8Array>;
  /**
   * Decode exactly one frame into `out`, which it must fill exactly (same checks as decompress). Only codecs that can
   * write into a caller's buffer have it: a reader that reuses a few buffers avoids fresh memory per chunk.
   */
  decompressInto?(frame: Uint8Array, out: Uint8Array): Promise<void>;
}

export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
