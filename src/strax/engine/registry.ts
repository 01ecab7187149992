// Plugin registry: one class per data type, declarations validated at once (errors name the class).
import { ConfigError, InternalError } from '../../errors.js';
import { COMPRESSOR_NAMES } from '../compress/types.js';
import { SAVE_WHEN, type ConcretePluginClass } from './plugin.js';
import type { OptionSpec } from './options.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class PluginRegistry {
  private readonly byType = new Map<string, ConcretePluginClass>();
  private readonly optionOwners = new Map<string, { spec: OptionSpec; owner: string }>();

  register(...classes: ConcretePluginClass[]): this {
    for (const cls of classes) this.registerOne(cls);
    return this;
  }

  private registerOne(cls: ConcretePluginClass): void {
    const bad = (what: string): never => {
      throw new InternalError(`plugin ${cls.name}: ${what}`);
    };
    if (!cls.provides || !IDENT.test(cls.provides)) bad(`provides ${JSON.stringify(cls.provides)} is not a data type name`);
    if (!cls.dtype) bad('declares no dtype');
    if (!/^\d+\.\d+\.\d+$/.test(cls.version)) bad(`version ${JSON.stringify(cls.version)} is not like 1.2.3`);
    if (!(COMPRESSOR_NAMES as readonly string[]).includes(cls.compressor)) bad(`unknown compressor ${cls.compressor}`);
    if (!(cls.chunkTargetMB > 0)) bad('chunkTargetMB must be positive');
    if (!(SAVE_WHEN as readonly string[]).includes(cls.saveWhen)) bad(`saveWhen ${JSON.stringify(cls.saveWhen)} is not one of ${SAVE_WHEN.join(', ')}`);
    const deps = cls.dependsOn;
    if (new Set(deps).size !== deps.length) bad(`dependsOn lists a data type twice (${deps.join(', ')})`);
    if (deps.includes(cls.provides)) bad('depends on its own output');
    if (cls.source && deps.length > 0) bad('a source plugin cannot depend on other data types');
    if (!cls.source && deps.length === 0) bad('dependsOn is empty (only source plugins read no data types)');
    for (const [name, spec] of Object.entries(cls.options)) {
      const prev = this.optionOwners.get(name);
      if (prev && prev.owner !== cls.name && JSON.stringify(prev.spec.default) !== JSON.stringify(spec.default)) {
        bad(`option ${name} has default ${JSON.stringify(spec.default)}, but ${prev.owner} declares it with ${JSON.stringify(prev.spec.default)}`);
      }
    }
    const existing = this.byType.get(cls.provides);
    if (existing && existing !== cls) this.unregister(existing.provides);
    this.byType.set(cls.provides, cls);
    for (const [name, spec] of Object.entries(cls.options)) if (!this.optionOwners.has(name)) this.optionOwners.set(name, { spec, owner: cls.name });
  }

  private unregister(type: string): void {
    this.byType.delete(type);
    this.optionOwners.clear();
    for (const c of this.byType.values()) for (const [n, s] of Object.entries(c.options)) if (!this.optionOwners.has(n)) this.optionOwners.set(n, { spec: s, owner: c.name });
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  /** The class providing `type`; ConfigError (exit 3) listing the available targets otherwise. */
  get(type: string): ConcretePluginClass {
    const cls = this.byType.get(type);
    if (!cls) {
      throw new ConfigError(`unknown target ${JSON.stringify(type)}; available targets: ${this.dataTypes().join(', ')}`, { context: { option: 'target' } });
    }
    return cls;
  }

  dataTypes(): string[] {
    return [...this.byType.keys()].sort();
  }

  /** Every option any registered plugin takes, with its spec and owning class. */
  options(): Map<string, { spec: OptionSpec; owner: string }> {
    return new Map(this.optionOwners);
  }
}
