// The rechunk settings of one pass: the config's rechunk block, overridden by the runs DB's `rechunk` document and flags.
import path from 'node:path';
import { rechunkSchema, type Config } from '../../config/schema.js';
import { ConfigError } from '../../errors.js';
import type { RunStore } from '../../rundb/index.js';
import type { RechunkConfig } from './rules.js';

/** In place, the new copies are written and verified in this folder inside the source folder (no dataset name). */
export const IN_PLACE_STAGING = '.daqflow-rechunk';

export interface RechunkSettings extends RechunkConfig {
  source_dir: string;
  /** Where new copies are written: the production folder, or in place the staging folder inside source_dir. */
  dest_dir: string;
  /** rechunk.dest_dir null or the source folder: every dataset is replaced by its rechunked copy where it is (restrax's default). */
  in_place: boolean;
  /** Where each key came from when not from the config file (for the log). */
  overridden: string[];
}

/**
 * Config file, then the `rechunk` document of the config-override collection (its keys replace the file's; a key
 * the schema does not know, or a bad value, is a ConfigError naming it), then the command-line flags.
 */
export async function rechunkSettings(config: Config, store: RunStore, flags: { bypass?: boolean; deepCompare?: boolean }): Promise<RechunkSettings> {
  const doc = await store.getConfigDoc('rechunk');
  const overrides = Object.fromEntries(Object.entries(doc ?? {}).filter(([k]) => !['_id', 'name', 'updated_at'].includes(k)));
  const parsed = rechunkSchema.safeParse({ ...config.rechunk, ...overrides });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = `rechunk.${issue.path.join('.')}`;
    throw new ConfigError(`the runs DB's rechunk override document sets ${key}: ${issue.message}`, { context: { option: key } });
  }
  const s = parsed.data;
  const sourceDir = s.source_dir ?? config.storage.write_dir;
  if (!sourceDir) throw new ConfigError('rechunk.source_dir is not set (nor storage.write_dir): give the folder of the data to rechunk', { context: { option: 'rechunk.source_dir' } });
  for (const [key, value] of [['source_dir', sourceDir], ['dest_dir', s.dest_dir]] as const) {
    if (value !== null && !path.isAbsolute(value)) throw new ConfigError(`rechunk.${key} must be an absolute path in the override document, got ${value}`, { context: { option: `rechunk.${key}` } });
  }
  const inPlace = s.dest_dir === null || path.resolve(sourceDir) === path.resolve(s.dest_dir);
  if (inPlace && s.keep_source) {
    throw new ConfigError('rechunk.keep_source needs a separate rechunk.dest_dir: in place (dest_dir null or the source folder) the old copy is replaced', { context: { option: 'rechunk.keep_source' } });
  }
  const overridden = Object.keys(overrides).map((k) => `rechunk.${k} (runs DB)`);
  if (flags.bypass) overridden.push('bypass (--bypass)');
  if (flags.deepCompare) overridden.push('deep_compare (--deep-compare)');
  return {
    ...s, source_dir: path.resolve(sourceDir), dest_dir: inPlace ? path.join(path.resolve(sourceDir), IN_PLACE_STAGING) : path.resolve(s.dest_dir!), in_place: inPlace,
    bypass: flags.bypass || s.bypass, deep_compare: flags.deepCompare || s.deep_compare, overridden,
  };
}
