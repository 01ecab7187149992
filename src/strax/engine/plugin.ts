// The plugin base class: static, typed declarations (provides, dependsOn, dtype, version, options …) and compute().
import type { RecordLayout } from '../dtype/layout.js';
import type { CompressorName } from '../compress/types.js';
import type { OptionSpec, OptionSpecs, OptionValue } from './options.js';

/** The time range [start, end) a compute call covers; rows of every input lie inside it. */
export interface ChunkRange {
  runId: string;
  start: bigint;
  end: bigint;
}

/** Inputs by data type (packed strax rows). Source plugins get their live data under `live`. */
export type PluginInputs = Record<string, Uint8Array>;
export type PluginConfig = Readonly<Record<string, OptionValue>>;

/** The value type an option of this spec takes: `int`/`float` → number, `bool` → boolean, `string` → string. */
export type OptionValueOf<S extends OptionSpec> = S['type'] extends 'int' | 'float' ? number : S['type'] extends 'bool' ? boolean : S['type'] extends 'string' ? string : OptionValue;

/** A plugin's resolved options, typed from its `defineOptions` declaration: a misspelt name does not compile. */
export type ConfigOf<O extends OptionSpecs> = { readonly [K in keyof O]: OptionValueOf<O[K]> };

/**
 * When a computed product is written to storage (strax's `save_when`): `always`; `target` only when it is a target
 * of the pass or listed in `save`; `explicit` only when listed in `save`; `never` (not a valid target then).
 */
export const SAVE_WHEN = ['always', 'target', 'explicit', 'never'] as const;
export type SaveWhen = (typeof SAVE_WHEN)[number];

/** `O` is the plugin's `typeof options`, so `this.config` is typed (untyped plugins take any option name). */
export abstract class Plugin<O extends OptionSpecs = OptionSpecs> {
  /** The data type this plugin produces (one per plugin). */
  static provides: string;
  static dependsOn: readonly string[] = [];
  /** Rows of data types of one kind are aligned one-to-one. Defaults to `provides`. */
  static dataKind?: string;
  /** The output layout; a function when it depends on options (e.g. the number of channels). */
  static dtype: RecordLayout | ((config: PluginConfig) => RecordLayout);
  static version = '0.0.0';
  static options: OptionSpecs = {};
  static compressor: CompressorName = 'zstd';
  /** Compression level (zstd: default 3 as strax; any level gives frames strax reads). */
  static compressorLevel?: number;
  static saveWhen: SaveWhen = 'always';
  /**
   * An int64 field the engine fills with the row's number over the whole run (0, 1, …, in time order) after compute,
   * in the main thread, so it does not depend on segments, chunking or workers (e.g. events' event_number).
   */
  static numberedField?: string;
  static chunkTargetMB = 200;
  /** 'live': reads the run's live data (given as `inputs.live`) instead of other data types. */
  static source?: 'live';
  /**
   * strax's OverlapWindowPlugin: rows may straddle segment boundaries and need inputs this far [ns] either side; the
   * engine then computes the plugin (and everything downstream) on a carried window so rows do not depend on segments.
   */
  static overlapWindow?: (config: PluginConfig) => number;
  /** An integer field of the rows that indexes another input's rows of the same compute call (hits.record_i → records). */
  static rowReference?: { field: string; into: string };

  constructor(readonly config: ConfigOf<O>) {}

  /** Compute this plugin's rows for one chunk range from its inputs (rows sorted by time, inside the range). */
  abstract compute(inputs: PluginInputs, range: ChunkRange): Uint8Array;

  /** The resolved output layout of this instance. */
  get layout(): RecordLayout {
    const ctor = this.constructor as PluginClass;
    return typeof ctor.dtype === 'function' ? ctor.dtype(this.config as PluginConfig) : ctor.dtype;
  }
}

// Constructors take their own typed config (`never` here accepts every one); instantiate() passes the resolved options.
export type PluginClass = (abstract new (config: never) => Plugin<OptionSpecs>) & {
  readonly name: string;
  provides: string;
  dependsOn: readonly string[];
  dataKind?: string;
  dtype: RecordLayout | ((config: PluginConfig) => RecordLayout);
  version: string;
  options: OptionSpecs;
  compressor: CompressorName;
  compressorLevel?: number;
  saveWhen: SaveWhen;
  numberedField?: string;
  chunkTargetMB: number;
  source?: 'live';
  overlapWindow?: (config: PluginConfig) => number;
  rowReference?: { field: string; into: string };
};

export type ConcretePluginClass = PluginClass & (new (config: never) => Plugin<OptionSpecs>);

/** Create a plugin instance from its class. */
export function instantiate(cls: PluginClass, config: PluginConfig): Plugin {
  return new (cls as unknown as new (config: PluginConfig) => Plugin)(config);
}
