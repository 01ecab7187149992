// Public surface of the processing engine.
export { Plugin, instantiate, type ChunkRange, type PluginClass, type ConcretePluginClass, type PluginConfig, type PluginInputs } from './plugin.js';
export { defineOptions, checkOptionValue, parseOptionAssignment, type OptionSpec, type OptionSpecs, type OptionType, type OptionValue } from './options.js';
export { PluginRegistry } from './registry.js';
export { resolvePlugins, checkUserOptions, type ResolvedPlugin } from './resolve.js';
export { DataKey } from './data-key.js';
export { processRun, type ProcessOptions, type ProcessSummary, type ProductSummary } from './context.js';
export { LiveWriter, readLiveIndex, readLiveChunk, liveRunDir, liveIndexPath, LIVE_FORMAT, type LiveIndex, type LiveChunkEntry } from './live-data.js';
export { SEGMENTS_KEY, SegmentSlicer, type Segment } from './segments.js';
