// bzip2 chunk streams via libbzip2 1.0.8 compiled to WebAssembly (bzip2-wasm); one stream only, nothing may follow it.
import BZip2 from 'bzip2-wasm';
import { FrameError } from '../errors.js';
import type { Compressor } from './types.js';

/** The emscripten module inside bzip2-wasm: libbzip2's buffer-to-buffer calls plus malloc/free. */
interface Libbz2 {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(ptr: number): void;
  _BZ2_bzBuffToBuffCompress(dest: number, destLen: number, src: number, srcLen: number, blockSize: number, verbosity: number, workFactor: number): number;
  _BZ2_bzBuffToBuffDecompress(dest: number, destLen: number, src: number, srcLen: number, small: number, verbosity: number): number;
  getValue(ptr: number, type: 'i32'): number;
  setValue(ptr: number, value: number, type: 'i32'): void;
}

const BZ_OUTBUFF_FULL = -8;
const BZ_ERRORS: Record<number, string> = {
  [-2]: 'BZ_PARAM_ERROR', [-3]: 'BZ_MEM_ERROR', [-4]: 'BZ_DATA_ERROR', [-5]: 'BZ_DATA_ERROR_MAGIC', [-7]: 'BZ_UNEXPECTED_EOF', [-8]: 'BZ_OUTBUFF_FULL',
};

let ready: Promise<Libbz2> | undefined;

/** The wasm module, loaded once. Its loader sets globalThis.__dirname/require; they are put back afterwards. */
function libbz2(): Promise<Libbz2> {
  ready ??= (async () => {
    const g = globalThis as Record<string, unknown>;
    const saved = { dirname: g.__dirname, require: g.require, hadDirname: '__dirname' in g, hadRequire: 'require' in g };
    const bz = new BZip2();
    try {
      await bz.init();
    } finally {
      if (saved.hadDirname) g.__dirname = saved.dirname;
      else delete g.__dirname;
      if (saved.hadRequire) g.require = saved.require;
      else delete g.require;
    }
    return (bz as unknown as { wasmModule: Libbz2 }).wasmModule;
  })();
  return ready;
}

/**
 * Run one libbzip2 buffer-to-buffer call. The package's own wrapper reads `HEAPU8` before `_malloc`, which
 * detaches it when the wasm memory grows (chunks of tens of MB); here every view is taken after allocating.
 */
function bufferCall(lib: Libbz2, input: Uint8Array, outCapacity: number, call: (dest: number, destLen: number, src: number) => number): Uint8Array {
  const src = lib._malloc(input.length);
  const dest = lib._malloc(outCapacity);
  const destLen = lib._malloc(4);
  try {
    if (!src || !dest || !destLen) throw new FrameError('bzip2: out of WebAssembly memory');
    lib.HEAPU8.set(input, src);
    lib.setValue(destLen, outCapacity, 'i32');
    const rc = call(dest, destLen, src);
    if (rc !== 0) throw Object.assign(new Error(BZ_ERRORS[rc] ?? `libbzip2 error ${rc}`), { code: rc });
    const n = lib.getValue(destLen, 'i32');
    return lib.HEAPU8.slice(dest, dest + n);
  } finally {
    lib._free(src);
    lib._free(dest);
    lib._free(destLen);
  }
}

const END_OF_STREAM = 0x177245385090n; // 48-bit magic, followed by the 32-bit combined CRC and padding to a byte
const BLOCK_START = Buffer.from('1AY&SY', 'latin1'); // 0x314159265359, the first block's magic right after "BZh<level>"

/** True when the stream's end-of-stream marker + CRC end in the last byte: nothing follows the stream. */
function endsWithEndOfStream(frame: Uint8Array): boolean {
  if (frame.length < 14) return false;
  // The last 11 bytes hold the 80 bits of marker + CRC plus 0–7 padding bits.
  let tail = 0n;
  for (const b of frame.subarray(frame.length - 11)) tail = (tail << 8n) | BigInt(b);
  for (let pad = 0n; pad < 8n; pad++) if (((tail >> (32n + pad)) & 0xffffffffffffn) === END_OF_STREAM) return true;
  return false;
}

/** Offset of a second byte-aligned stream header (`BZh1`–`BZh9` + block magic or end-of-stream), else -1. */
function secondStreamAt(frame: Uint8Array): number {
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  for (let at = buf.indexOf('BZh', 4, 'latin1'); at >= 0; at = buf.indexOf('BZh', at + 1, 'latin1')) {
    const level = buf[at + 3];
    if (level === undefined || level < 0x31 || level > 0x39) continue;
    if (buf.subarray(at + 4, at + 10).equals(BLOCK_START)) return at;
    if (buf.readUIntBE(at + 4, 6) === Number(END_OF_STREAM)) return at;
  }
  return -1;
}

export function bz2Compressor(level = 9): Compressor {
  return {
    name: 'bz2',
    async compress(data) {
      const lib = await libbz2();
      // libbzip2's documented worst case: 1 % larger plus 600 bytes.
      const capacity = Math.ceil(data.length * 1.01) + 600;
      return bufferCall(lib, data, capacity, (dest, destLen, src) => lib._BZ2_bzBuffToBuffCompress(dest, destLen, src, data.length, level, 0, 0));
    },
    async decompress(frame, expectedBytes) {
      if (frame.length < 14 || frame[0] !== 0x42 || frame[1] !== 0x5a || frame[2] !== 0x68) throw new FrameError('not a bzip2 stream (bad magic)');
      const lib = await libbz2();
      let out: Uint8Array;
      try {
        // One spare byte, so a stream that holds more than expected is caught as BZ_OUTBUFF_FULL.
        out = bufferCall(lib, frame, expectedBytes + 1, (dest, destLen, src) => lib._BZ2_bzBuffToBuffDecompress(dest, destLen, src, frame.length, 0, 0));
      } catch (error) {
        if (error instanceof FrameError) throw error;
        if ((error as { code?: number }).code === BZ_OUTBUFF_FULL) throw new FrameError(`bzip2 stream decodes to more than the expected ${expectedBytes} bytes`);
        throw new FrameError(`corrupt or truncated bzip2 stream (${error instanceof Error ? error.message : String(error)})`);
      }
      const second = secondStreamAt(frame);
      if (second >= 0) throw new FrameError(`a second bzip2 stream starts at byte ${second} (${frame.length - second} bytes); strax would drop it`);
      if (!endsWithEndOfStream(frame)) throw new FrameError('bytes follow the end of the bzip2 stream; strax would drop them');
      if (out.length !== expectedBytes) throw new FrameError(`bzip2 stream decoded to ${out.length} bytes, expected ${expectedBytes}`);
      return out;
    },
  };
}
