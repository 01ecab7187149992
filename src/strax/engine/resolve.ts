// Resolve targets into the plugin graph (topological order) and compute each data type's lineage.
import { ConfigError } from '../../errors.js';
import { deterministicHash, type Lineage } from '../lineage.js';
import type { PyJson } from '../json/values.js';
import { checkOptionValue, lineageValue, type OptionValue } from './options.js';
import type { ConcretePluginClass, PluginConfig } from './plugin.js';
import type { PluginRegistry } from './registry.js';

export interface ResolvedPlugin {
  dataType: string;
  cls: ConcretePluginClass;
  config: PluginConfig;
  lineage: Lineage;
  lineageHash: string;
}

/** Check user options: every name must be taken by a registered plugin (exit 3 naming it). */
export function checkUserOptions(registry: PluginRegistry, options: Record<string, unknown>): Record<string, OptionValue> {
  const known = registry.options();
  const out: Record<string, OptionValue> = {};
  for (const [name, value] of Object.entries(options)) {
    const entry = known.get(name);
    if (!entry) {
      throw new ConfigError(`unknown plugin option ${JSON.stringify(name)}; options are: ${[...known.keys()].sort().join(', ')}`, { context: { option: name } });
    }
    out[name] = checkOptionValue(name, entry.spec, value);
  }
  return out;
}

/** All plugins needed for `targets`, dependencies first, with their config and lineage. */
export function resolvePlugins(registry: PluginRegistry, targets: readonly string[], options: Record<string, OptionValue>): ResolvedPlugin[] {
  const order: ResolvedPlugin[] = [];
  const done = new Map<string, ResolvedPlugin>();
  const visiting = new Set<string>();
  const visit = (type: string, chain: string[]): ResolvedPlugin => {
    const hit = done.get(type);
    if (hit) return hit;
    if (visiting.has(type)) throw new ConfigError(`plugin dependency cycle: ${[...chain, type].join(' → ')}`);
    visiting.add(type);
    const cls = registry.get(type);
    const deps = cls.dependsOn.map((d) => visit(d, [...chain, type]));
    const config: Record<string, OptionValue> = {};
    const tracked: Record<string, PyJson> = {};
    for (const [name, spec] of Object.entries(cls.options)) {
      const value = name in options ? options[name]! : spec.default;
      config[name] = value;
      if (spec.track) tracked[name] = lineageValue(spec, value);
    }
    // strax's key order: the data type itself, then each dependency's lineage in depends_on order. The hash sorts keys,
    // but straxen's RunDB frontend matches `meta.lineage` as a whole embedded document, where order counts.
    const lineage: Lineage = { [type]: [cls.name, cls.version, tracked] };
    for (const d of deps) Object.assign(lineage, d.lineage);
    const resolved: ResolvedPlugin = { dataType: type, cls, config, lineage, lineageHash: deterministicHash(lineage as PyJson) };
    visiting.delete(type);
    done.set(type, resolved);
    order.push(resolved);
    return resolved;
  };
  for (const t of targets) visit(t, []);
  return order;
}
