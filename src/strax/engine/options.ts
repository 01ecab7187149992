// Plugin options: declaration (defineOptions), value parsing and validation, and the tracked part that enters the lineage.
import { ConfigError } from '../../errors.js';
import { pyFloat, type PyJson } from '../json/values.js';

export type OptionType = 'int' | 'float' | 'bool' | 'string' | 'json';
export type OptionValue = number | boolean | string | null | OptionValue[] | { [k: string]: OptionValue };

export interface OptionSpec {
  type: OptionType;
  default: OptionValue;
  /** Tracked options enter the lineage (a change gives a new folder); untracked ones do not. */
  track: boolean;
  help: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Identity helper that keeps the literal option names for typing. */
export function defineOptions<T extends Record<string, OptionSpec>>(specs: T): Readonly<T> {
  return Object.freeze(specs);
}

/** Check and normalise one value against its spec; names the option in the error. */
export function checkOptionValue(name: string, spec: OptionSpec, value: unknown): OptionValue {
  const fail = (expected: string): never => {
    throw new ConfigError(`plugin option ${name}: expected ${expected}, got ${JSON.stringify(value)}`, { context: { option: name } });
  };
  switch (spec.type) {
    case 'int':
      if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) value = Number(value);
      if (typeof value !== 'number' || !Number.isInteger(value)) fail('an integer');
      return value as number;
    case 'float':
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) value = Number(value);
      if (typeof value !== 'number' || !Number.isFinite(value)) fail('a number');
      return value as number;
    case 'bool':
      if (value === 'true' || value === 'false') value = value === 'true';
      if (typeof value !== 'boolean') fail('true or false');
      return value as boolean;
    case 'string':
      if (typeof value !== 'string') fail('a string');
      return value as string;
    case 'json':
      if (typeof value === 'string') {
        try {
          value = JSON.parse(value);
        } catch {
          fail('JSON');
        }
      }
      return value as OptionValue;
  }
}

/** The value as it enters the lineage: floats are marked so `1` hashes as Python's `1.0`. */
export function lineageValue(spec: OptionSpec, value: OptionValue): PyJson {
  if (spec.type === 'float') return pyFloat(value as number);
  return value as PyJson;
}

/** Parse `name=value` (value as JSON if it parses, else a string). */
export function parseOptionAssignment(text: string, flag = '--option'): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ConfigError(`${flag} ${JSON.stringify(text)}: expected name=value, e.g. ${flag} hit_min_amplitude=20`, { context: { option: flag } });
  const name = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  try {
    return [name, JSON.parse(raw)];
  } catch {
    return [name, raw];
  }
}
