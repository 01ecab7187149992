// The part of the WebAssembly JavaScript API that daqflow uses. Node has it as a global; TypeScript declares it only
// in the DOM and web-worker libraries, which would bring every browser global with them.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
  }
}
