// Compressor registry: the four names strax accepts in a dataset's `compressor` key.
import { bloscCompressor } from './blosc.js';
import { bz2Compressor } from './bz2.js';
import { lz4Compressor } from './lz4.js';
import { COMPRESSOR_NAMES, type Compressor, type CompressorName } from './types.js';
import { zstdCompressor } from './zstd.js';

export interface CompressorOptions {
  /** zstd level (default 3, as strax), blosc clevel (default 9), bz2 block size 1–9 (default 9). */
  level?: number;
}

export function isCompressorName(name: string): name is CompressorName {
  return (COMPRESSOR_NAMES as readonly string[]).includes(name);
}

/** The compressor for a strax `compressor` name; throws listing the valid names otherwise. */
export function getCompressor(name: string, options: CompressorOptions = {}): Compressor {
  switch (name) {
    case 'blosc': return bloscCompressor(options.level ?? 9);
    case 'zstd': return zstdCompressor(options.level ?? 3);
    case 'lz4': return lz4Compressor();
    case 'bz2': return bz2Compressor(options.level ?? 9);
  }
  throw new RangeError(`unknown compressor ${JSON.stringify(name)} (strax knows ${COMPRESSOR_NAMES.join(', ')})`);
}
