// The kernels that work on a chunk's records held in WebAssembly memory, in one module so that they share the copy:
// the records' columns, record links, hit integration bounds, and sum_waveform (and find_peaks, which reads only hits, on the same memory). Driven by src/strax/plugins/kernels/records-wasm.ts.
export * from './record-columns';
export * from './record-links';
export * from './integration-bounds';
export * from './find-peaks';
export * from './hitlets';
export * from './sum-waveform';
export * from './containment';
export * from './peak-properties';
