// LZ4 frame-format chunks via lz4-napi; walks the block list to reject truncation and bytes after the end mark.
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { FrameError } from '../errors.js';
import { ifWasmMemory } from '../../util/wasm.js';
import { decodeLz4FrameInto, lz4FrameDecodableInto } from './lz4-into.js';
import { asBuffer, type Compressor } from './types.js';

const MAGIC = 0x184d2204;

/** Parse an LZ4 frame's header and blocks; returns its total length and declared content size (if any). */
export function lz4FrameExtent(buf: Buffer): { length: number; contentSize: number | undefined } {
  if (buf.length < 7 || buf.readUInt32LE(0) !== MAGIC) throw new FrameError('not an LZ4 frame (bad magic)');
  const flg = buf[4]!;
  if (flg >> 6 !== 1) throw new FrameError(`unsupported LZ4 frame version ${flg >> 6}`);
  const blockChecksum = (flg & 0x10) !== 0;
  const hasContentSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const hasDictId = (flg & 0x01) !== 0;
  let pos = 6 + (hasContentSize ? 8 : 0) + (hasDictId ? 4 : 0);
  const contentSize = hasContentSize && buf.length >= 14 ? Number(buf.readBigUInt64LE(6)) : undefined;
  pos += 1; // header checksum
  for (;;) {
    if (pos + 4 > buf.length) throw new FrameError('truncated LZ4 frame (no end mark)');
    const word = buf.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    pos += (word & 0x7fffffff) + (blockChecksum ? 4 : 0);
  }
  if (contentChecksum) pos += 4;
  if (pos > buf.length) throw new FrameError('truncated LZ4 frame (content checksum missing)');
  return { length: pos, contentSize };
}

export function lz4Compressor(): Compressor {
  const codec: Compressor = {
    name: 'lz4',
    async compress(data) {
      return compressFrameSync(asBuffer(data));
    },
    async decompress(frame, expectedBytes) {
      const src = asBuffer(frame);
      const { length, contentSize } = lz4FrameExtent(src);
      if (length !== src.length) {
        throw new FrameError(`${src.length - length} bytes follow the LZ4 end mark (a second frame?); strax would drop them`);
      }
      if (contentSize !== undefined && contentSize !== expectedBytes) {
        throw new FrameError(`LZ4 frame holds ${contentSize} bytes, expected ${expectedBytes}`);
      }
      let out: Buffer;
      try {
        out = decompressFrameSync(src);
      } catch (error) {
        throw new FrameError(`corrupt LZ4 frame (${(error as Error).message})`);
      }
      if (out.length !== expectedBytes) throw new FrameError(`LZ4 frame decoded to ${out.length} bytes, expected ${expectedBytes}`);
      return out;
    },
    async decompressInto(frame, out) {
      // Frames with checksums go through lz4-napi, which verifies them, and are copied; so do frames WebAssembly has no
      // memory for (too large, or a virtual-memory limit).
      if (lz4FrameDecodableInto(frame) && ifWasmMemory(() => (decodeLz4FrameInto(frame, out), true))) return;
      out.set(await codec.decompress(frame, out.length));
    },
  };
  return codec;
}
