// User plugins: plugin classes exported by modules named in the config (`processing.plugins`), registered after the
// reference chain (a user plugin providing a reference type replaces it) and loaded the same way in worker threads.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../errors.js';
import { defaultRegistry } from '../plugins/index.js';
import type { ConcretePluginClass } from './plugin.js';
import type { PluginRegistry } from './registry.js';

/** A plugin class as exported by a module: a class with a static `provides` and a `compute` method. */
function isPluginClass(x: unknown): x is ConcretePluginClass {
  const c = x as { provides?: unknown; prototype?: { compute?: unknown } };
  return typeof x === 'function' && typeof c.provides === 'string' && typeof c.prototype?.compute === 'function';
}

/** Absolute module paths (relative ones against `baseDir`). */
export function resolvePluginModules(modules: readonly string[], baseDir = process.cwd()): string[] {
  return modules.map((m) => path.resolve(baseDir, m));
}

/** The plugin classes each module exports (named or default exports), in module order. */
export async function loadPluginModules(modules: readonly string[]): Promise<ConcretePluginClass[]> {
  const classes: ConcretePluginClass[] = [];
  for (const file of modules) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`processing.plugins: cannot load ${file}: ${(error as Error).message}`, { context: { option: 'processing.plugins', file }, cause: error });
    }
    const found = Object.values(mod).filter(isPluginClass);
    if (found.length === 0) throw new ConfigError(`processing.plugins: ${file} exports no plugin class (a class with static provides and compute())`, { context: { option: 'processing.plugins', file } });
    classes.push(...new Set(found));
  }
  return classes;
}

/** The reference plugins plus the plugins of `modules` (absolute paths). */
export async function registryWithPlugins(modules: readonly string[]): Promise<PluginRegistry> {
  return defaultRegistry().register(...(await loadPluginModules(modules)));
}
