// The project's WebAssembly kernels (wasm/*.ts, built by `npm run build` to dist/wasm/) and the memories they import.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { InternalError } from '../errors.js';

const PAGE = 65536;
/** wasm32 memories end at 4 GiB. */
export const MAX_WASM_PAGES = 65536;

const compiled = new Map<string, WebAssembly.Module>();

/**
 * A kernel is called once per chunk and runs through tens of megabytes. V8 first compiles each WebAssembly function
 * with its baseline compiler (Liftoff) and swaps in optimized code only for later calls (it cannot replace a running
 * call), so every kernel's first call, a whole chunk, would run in baseline code. The optimizing compiler is asked
 * for from the start instead; compiling these small modules with it takes about a millisecond. V8's flags are
 * process-wide (worker threads share them) and this one is read when a function is compiled, so it is set once,
 * before the first module is compiled.
 */
let optimizingFromStart = false;
function optimizeFromTheStart(): void {
  if (optimizingFromStart) return;
  v8.setFlagsFromString('--no-liftoff');
  optimizingFromStart = true;
}

/** The compiled module dist/wasm/<name>.wasm (compiled once per thread). */
export function wasmModule(name: string): WebAssembly.Module {
  let module = compiled.get(name);
  if (!module) {
    // dist/util/ or src/util/ → the package root → dist/wasm/ (built by `npm run build`).
    const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'wasm', `${name}.wasm`);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (error) {
      throw new InternalError(`${file} is missing (${(error as NodeJS.ErrnoException).code}): this install was built without its WebAssembly; run \`npm run build\``, { cause: error });
    }
    optimizeFromTheStart();
    module = new WebAssembly.Module(bytes);
    compiled.set(name, module);
  }
  return module;
}

/**
 * WebAssembly could not have the memory it needs: each memory reserves several GiB of address space (guard pages), so
 * under a virtual-memory limit (`ulimit -v`, as on some cluster nodes) only a few can exist. Callers fall back to
 * JavaScript (or lz4-napi) and ordinary buffers.
 */
export class WasmMemoryError extends Error {}
Object.defineProperty(WasmMemoryError.prototype, 'name', { value: 'WasmMemoryError', enumerable: false });

/**
 * After a memory could not be had, none is asked for until then (ms since the epoch): V8 answers each failed request
 * only after several full garbage collections, which would cost every chunk ~100 ms.
 */
let noMemoryUntil = 0;
const NO_MEMORY_PAUSE_MS = 60_000;

/** A memory of at least `bytes` bytes; `fixed`: it can never grow (views of it are never detached). */
export function wasmMemory(bytes: number, what: string, fixed: boolean): WebAssembly.Memory {
  const pages = Math.ceil(bytes / PAGE);
  if (pages > MAX_WASM_PAGES) throw new WasmMemoryError(`${what} of ${bytes} bytes is larger than WebAssembly's 4 GiB`);
  if (Date.now() < noMemoryUntil) throw new WasmMemoryError('no WebAssembly memory could be had a moment ago');
  try {
    return new WebAssembly.Memory(fixed ? { initial: pages, maximum: pages } : { initial: pages, maximum: MAX_WASM_PAGES });
  } catch (error) {
    noMemoryUntil = Date.now() + NO_MEMORY_PAUSE_MS;
    throw new WasmMemoryError(`no WebAssembly memory for ${what} of ${bytes} bytes: ${(error as Error).message}`, { cause: error });
  }
}

/** Whether a WebAssembly memory can be had now (false under a virtual-memory limit that leaves none). */
export function wasmMemoryAvailable(): boolean {
  return ifWasmMemory(() => wasmMemory(1, 'a probe', false)) !== undefined;
}

/** `f()`, or undefined where it needs WebAssembly memory that cannot be had (its caller then uses JavaScript). */
export function ifWasmMemory<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (error) {
    if (error instanceof WasmMemoryError) return undefined;
    throw error;
  }
}

/** Grows `memory` as growWasmMemory does; false instead of a WasmMemoryError where it cannot grow. */
export function grows(memory: WebAssembly.Memory, bytes: number, what: string): boolean {
  return ifWasmMemory(() => (growWasmMemory(memory, bytes, what), true)) ?? false;
}

/** Grows `memory` to at least `bytes` bytes (its ArrayBuffer, and every view of it, is then detached). */
export function growWasmMemory(memory: WebAssembly.Memory, bytes: number, what: string): void {
  const pages = Math.ceil(bytes / PAGE) - memory.buffer.byteLength / PAGE;
  if (pages <= 0) return;
  if (bytes > MAX_WASM_PAGES * PAGE) throw new WasmMemoryError(`${what} of ${bytes} bytes is larger than WebAssembly's 4 GiB`);
  try {
    (memory as WebAssembly.Memory & { grow(pages: number): number }).grow(pages); // not in @types/node's declaration
  } catch (error) {
    throw new WasmMemoryError(`WebAssembly memory for ${what} could not grow to ${bytes} bytes: ${(error as Error).message}`, { cause: error });
  }
}
