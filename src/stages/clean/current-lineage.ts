// The lineage hash the configured processing gives each data type: what the outdated-lineage rule compares against.
import type { Config } from '../../config/schema.js';
import { checkUserOptions, resolvePlugins } from '../../strax/engine/index.js';
import { loadPluginModules, resolvePluginModules } from '../../strax/engine/user-plugins.js';
import { defaultRegistry } from '../../strax/plugins/index.js';

/** Null when daqflow cannot know it (processing by an external command): the rule then removes nothing. */
export async function currentLineageHashes(config: Config): Promise<Map<string, string> | null> {
  if (config.processing.engine !== 'builtin') return null;
  const registry = defaultRegistry();
  if (config.processing.plugins.length) registry.register(...(await loadPluginModules(resolvePluginModules(config.processing.plugins))));
  const targets = config.auto_process.targets ?? config.processing.targets;
  const plan = resolvePlugins(registry, targets, checkUserOptions(registry, config.processing.options));
  return new Map(plan.map((p) => [p.dataType, p.lineageHash]));
}
