// LZ4 frame decoding into a buffer the caller owns (lz4-napi only returns fresh buffers). A server sending chunk
// after chunk can then decode each into one of a few reused buffers: no fresh pages to fault in and no external memory
// for the garbage collector per chunk. Frames with checksums are left to lz4-napi, which verifies them.
//
// The frame is walked here; each compressed block is decoded by WebAssembly (wasm/lz4-block.ts, built to
// dist/wasm/lz4-block.wasm), ~3× faster than the same loop in JavaScript on row data. WebAssembly reads and writes
// only its own memory, so the fast path is an output buffer made by lz4DecodeBuffer: the start of a memory of its own,
// with room after it for the compressed frame. Any other output buffer is decoded in a scratch memory and copied.
import { ifWasmMemory, wasmMemory, wasmModule } from '../../util/wasm.js';
import { FrameError } from '../errors.js';

const MAGIC = 0x184d2204;
/**
 * Bytes the block decoder may read past a block's end (its 16-byte literal copies, also of no literals at all): kept
 * free after the frame.
 */
const SLACK = 16;

/** Whether decodeLz4FrameInto can decode this frame (no checksums, no dictionary); the frame is not walked. */
export function lz4FrameDecodableInto(frame: Uint8Array): boolean {
  if (frame.length < 7) return false;
  const flg = frame[4]!;
  return (flg & 0x15) === 0; // block checksums, content checksum, dictionary id
}

/** The largest LZ4 frame an output of `bytes` bytes can come from (worst-case expansion, 64 kB blocks, header). */
export function lz4FrameBound(bytes: number): number {
  return bytes + Math.ceil(bytes / 255) + 4 * Math.ceil(bytes / 65536) + 64;
}

type DecodeBlock = (ip: number, end: number, base: number, op: number, cap: number) => number;

/** One WebAssembly memory and the block decoder bound to it. */
interface Arena {
  memory: WebAssembly.Memory;
  decodeBlock: DecodeBlock;
}

/** Arenas by their memory's ArrayBuffer, for output buffers made by lz4DecodeBuffer. */
const arenas = new WeakMap<ArrayBuffer, Arena>();
let scratch: Arena | undefined;

function newArena(bytes: number): Arena {
  // The memory never grows: growing would detach the ArrayBuffer that output views (and sockets writing them) hold.
  const memory = wasmMemory(bytes, 'an LZ4 decode buffer', true);
  const instance = new WebAssembly.Instance(wasmModule('lz4-block'), { env: { memory, abort: () => { throw new FrameError('LZ4 block decoder aborted'); } } });
  return { memory, decodeBlock: instance.exports.decodeBlock as DecodeBlock };
}

/**
 * A buffer of `bytes` bytes that decodeLz4FrameInto decodes into in place: the start of a WebAssembly memory of its
 * own, with room after it for a frame of up to lz4FrameBound(bytes). Its contents start as zeros. Where no such memory
 * can be had (WasmMemoryError), an ordinary buffer, which the decoders fill as any other.
 */
export function lz4DecodeBuffer(bytes: number): Uint8Array {
  const arena = ifWasmMemory(() => newArena(bytes + SLACK + lz4FrameBound(bytes) + SLACK));
  if (!arena) return new Uint8Array(bytes);
  arenas.set(arena.memory.buffer, arena);
  return new Uint8Array(arena.memory.buffer, 0, bytes);
}

/** Whether lz4DecodeBuffer gives decode buffers now (false under a virtual-memory limit that leaves none). */
export function lz4DecodesInPlace(): boolean {
  const buffer = lz4DecodeBuffer(1).buffer;
  return buffer instanceof ArrayBuffer && arenas.has(buffer);
}

/** Where in its arena `out` can be decoded in place, with the frame copied after it; null if it cannot. */
function inPlace(out: Uint8Array, frameBytes: number): { arena: Arena; frameAt: number } | null {
  const arena = out.buffer instanceof ArrayBuffer ? arenas.get(out.buffer) : undefined;
  if (!arena) return null;
  const frameAt = out.byteOffset + out.length + SLACK;
  return frameAt + frameBytes + SLACK <= out.buffer.byteLength ? { arena, frameAt } : null;
}

/** Scratch arenas up to this size are kept for the next frame; larger ones are left to the garbage collector. */
const SCRATCH_KEPT_BYTES = 64 * 1024 * 1024;

/** An arena of at least `bytes` bytes for outputs that are not lz4DecodeBuffer's. */
function scratchArena(bytes: number): Arena {
  if (scratch && scratch.memory.buffer.byteLength >= bytes) return scratch;
  const arena = newArena(bytes);
  if (bytes <= SCRATCH_KEPT_BYTES) scratch = arena;
  return arena;
}

const BLOCK_ERRORS: Record<number, string> = {
  [-1]: 'corrupt LZ4 block (ends inside a sequence)',
  [-2]: 'corrupt LZ4 block (a length runs past the block)',
  [-3]: 'corrupt LZ4 block (literals run past the block or the output)',
  [-4]: 'corrupt LZ4 block (truncated match offset)',
  [-5]: 'corrupt LZ4 block (match before the start of the output)',
};

/**
 * The most bytes this frame can decode to: the sum of its blocks' bounds — a stored block's own size; a compressed
 * one's maximum block size from the frame descriptor, or 255 bytes per compressed byte if less (a length byte adds
 * at most 255 to a match) — and no more than a declared content size. Bounded by the frame's own bytes, so a damaged
 * header cannot ask for gigabytes. Throws FrameError if the frame is malformed before its end mark.
 */
export function lz4FrameContentBound(frame: Uint8Array): number {
  const { view, flg, first } = frameHeader(frame);
  const code = (frame[5]! >> 4) & 7;
  if (code < 4) throw new FrameError(`LZ4 frame descriptor has block size code ${code} (only 4 to 7 exist)`);
  const blockMax = 1 << (8 + 2 * code);
  let bound = 0;
  for (let pos = first; ; ) {
    if (pos + 4 > frame.length) throw new FrameError('truncated LZ4 frame (no end mark)');
    const word = view.getUint32(pos, true);
    pos += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    bound += word >>> 31 ? size : Math.min(blockMax, 255 * size + 64);
    pos += size + ((flg & 0x10) !== 0 ? 4 : 0);
  }
  return (flg & 0x08) !== 0 ? Math.min(bound, Number(view.getBigUint64(6, true))) : bound;
}

/** The frame descriptor, checked as liblz4 (and so strax's python-lz4) checks it: version, reserved bits, checksum byte. */
function frameHeader(frame: Uint8Array): { view: DataView; flg: number; first: number } {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 7 || view.getUint32(0, true) !== MAGIC) throw new FrameError('not an LZ4 frame (bad magic)');
  const flg = frame[4]!;
  if (flg >> 6 !== 1) throw new FrameError(`unsupported LZ4 frame version ${flg >> 6}`);
  if ((flg & 0x02) !== 0 || (frame[5]! & 0x8f) !== 0) throw new FrameError('LZ4 frame descriptor has reserved bits set');
  const checksumAt = 6 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0);
  if (checksumAt >= frame.length) throw new FrameError('truncated LZ4 frame (in its descriptor)');
  if (lz4DescriptorChecksum(frame.subarray(4, checksumAt)) !== frame[checksumAt]) throw new FrameError('LZ4 frame descriptor checksum mismatch');
  return { view, flg, first: checksumAt + 1 };
}

/** The checksum byte of an LZ4 frame descriptor (FLG to the end of the optional fields): xxHash32's second byte. */
export function lz4DescriptorChecksum(descriptor: Uint8Array): number {
  return (xxh32(descriptor) >>> 8) & 0xff;
}

const [P1, P2, P3, P4, P5] = [0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f, 0x165667b1];
const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));

/** xxHash32 with seed 0 of fewer than 16 bytes (an LZ4 frame descriptor is 2 to 14). */
function xxh32(b: Uint8Array): number {
  let h = (P5 + b.length) | 0;
  let i = 0;
  for (; i + 4 <= b.length; i += 4) {
    const word = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    h = Math.imul(rotl((h + Math.imul(word, P3)) | 0, 17), P4);
  }
  for (; i < b.length; i++) h = Math.imul(rotl((h + Math.imul(b[i]!, P5)) | 0, 11), P1);
  h = Math.imul(h ^ (h >>> 15), P2);
  h = Math.imul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Decode one whole LZ4 frame into out, which must receive exactly out.length bytes. Throws FrameError on any
 * malformed input (bad magic, truncation, a match before the start, output other than out.length bytes, bytes after
 * the end mark). `out` is written only by this frame's bytes, but on an error its contents are undefined. Throws
 * WasmMemoryError when `out` is not a decode buffer and no scratch memory can be had.
 */
export function decodeLz4FrameInto(frame: Uint8Array, out: Uint8Array): void {
  const n = decodeFrame(frame, out);
  if (n !== out.length) throw new FrameError(`LZ4 frame decoded to ${n} bytes, expected ${out.length}`);
}

/**
 * Decode one whole LZ4 frame into the start of out, which has room for at least what it decodes to (see
 * lz4FrameContentBound); returns how many bytes it wrote. Errors as decodeLz4FrameInto's.
 */
export function decodeLz4FrameUpTo(frame: Uint8Array, out: Uint8Array): number {
  return decodeFrame(frame, out);
}

function decodeFrame(frame: Uint8Array, out: Uint8Array): number {
  const { view, flg, first } = frameHeader(frame);
  if ((flg & 0x15) !== 0) throw new FrameError('LZ4 frame with checksums or a dictionary: decode it with lz4-napi');
  const direct = inPlace(out, frame.length);
  const arena = direct?.arena ?? scratchArena(out.length + SLACK + frame.length + SLACK);
  const base = direct ? out.byteOffset : 0;
  const frameAt = direct ? direct.frameAt : out.length + SLACK;
  const cap = base + out.length;
  const memory = new Uint8Array(arena.memory.buffer);
  memory.set(frame, frameAt);
  let pos = first;
  let op = base;
  for (;;) {
    if (pos + 4 > frame.length) throw new FrameError('truncated LZ4 frame (no end mark)');
    const word = view.getUint32(pos, true);
    pos += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (pos + size > frame.length) throw new FrameError('truncated LZ4 frame (block runs past the end)');
    if (word >>> 31) {
      if (op + size > cap) throw new FrameError(`LZ4 frame decodes to more than ${out.length} bytes`);
      memory.copyWithin(op, frameAt + pos, frameAt + pos + size);
      op += size;
    } else {
      const next = arena.decodeBlock(frameAt + pos, frameAt + pos + size, base, op, cap);
      if (next < 0) throw new FrameError(BLOCK_ERRORS[next] ?? `LZ4 frame decodes to more than ${out.length} bytes`);
      op = next;
    }
    pos += size;
  }
  if (pos !== frame.length) throw new FrameError(`${frame.length - pos} bytes follow the LZ4 end mark (a second frame?); strax would drop them`);
  if (!direct) out.set(memory.subarray(0, op));
  return op - base;
}
