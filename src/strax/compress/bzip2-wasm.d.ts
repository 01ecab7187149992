// Types for bzip2-wasm (libbzip2 1.0.8 compiled to WebAssembly), which ships none.
declare module 'bzip2-wasm' {
  export default class BZip2 {
    init(): Promise<void>;
    compress(data: Uint8Array, blockSize?: number, compressedLength?: number): Uint8Array;
    decompress(data: Uint8Array, decompressedLength: number): Uint8Array;
  }
}
