// loadConfig: discover → read → YAML → ${ENV} expansion → --set → zod → rules → absolute paths, with every problem reported at once.
import path from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { discoverConfig } from './discover.js';
import { coerceWholeExpansions } from './coerce-env.js';
import { expandEnv } from './expand-env.js';
import { formatPath, formatProblem, isUnder, type KeyPath, type Problem } from './problems.js';
import { parseConfigFile } from './read-file.js';
import { resolveConfigPaths, type ResolvedConfig } from './resolve-paths.js';
import { checkRules } from './rules.js';
import { configSchema } from './schema.js';
import { childSchema, kindOf, objectKeys, schemaAt, unwrap } from './schema-walk.js';
import { applySets, parseSets } from './set-overrides.js';
import { describeIssues } from './zod-issues.js';

export interface LoadConfigOptions {
  /** From --config; relative to cwd. */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** `section.key=value` overrides from --set, applied in order. */
  sets?: string[];
}

export interface LoadedConfig {
  config: ResolvedConfig;
  /** Absolute path of the file read, or '<defaults>'. */
  source: string;
  warnings: string[];
}

export const DEFAULTS_SOURCE = '<defaults>';

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const found = discoverConfig({ configPath: options.configPath, env, cwd });
  if (found.file === null) {
    return configFromObject({}, { source: DEFAULTS_SOURCE, baseDir: cwd, cwd, env, sets: options.sets });
  }
  const parsed = parseConfigFile(found.file);
  if (parsed.problems.length > 0) {
    const setProblems = parseSets(configSchema, options.sets ?? []).problems;
    throw configProblems(found.file, [...parsed.problems, ...setProblems]);
  }
  return configFromObject(parsed.raw, {
    source: found.file,
    baseDir: path.dirname(found.file),
    cwd,
    env,
    sets: options.sets,
    warnings: parsed.warnings,
  });
}

export interface FromObjectOptions {
  /** Absolute file path or '<defaults>'; its basename starts every problem. */
  source?: string;
  /** Relative paths in `raw` are relative to this folder. */
  baseDir?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  sets?: string[];
  warnings?: string[];
}

/** The pipeline after YAML parsing; also handy in tests: `configFromObject({ pass: { concurrency: 1 } }, { baseDir: tmp })`. */
export function configFromObject(raw: unknown, options: FromObjectOptions = {}): LoadedConfig {
  const source = options.source ?? DEFAULTS_SOURCE;
  const label = source === DEFAULTS_SOURCE ? DEFAULTS_SOURCE : path.basename(source);
  const env = options.env ?? process.env;
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const baseDir = path.resolve(options.baseDir ?? cwd);
  const problems: string[] = [];

  const envProblems: Problem[] = [];
  const emptied: KeyPath[] = [];
  const whole: KeyPath[] = [];
  const expandedRaw = expandEnv(raw ?? {}, env, envProblems, [], emptied, whole);
  coerceWholeExpansions(expandedRaw, whole, configSchema);
  const expanded = dropNullSections(nullWhereAllowed(expandedRaw, emptied), configSchema);
  problems.push(...envProblems.map((p) => formatProblem(label, p.path, p.message)));

  const sets = parseSets(configSchema, options.sets ?? []);
  problems.push(...sets.problems);
  const tree = isPlainObject(expanded) ? expanded : {};
  applySets(tree, sets.overrides);
  const setPaths = sets.overrides.map((o) => o.dotted);
  const labelFor = (p: Problem) => formatProblem(setPaths.some((s) => isUnder(formatPath(p.path), s)) ? '--set' : label, p.path, p.message);

  const result = configSchema.safeParse(tree);
  if (!result.success) {
    // A value already reported as an unset variable is not reported again as empty.
    const reported = new Set(envProblems.map((p) => formatPath(p.path)));
    const issues = describeIssues(result.error.issues, configSchema).filter((p) => !reported.has(formatPath(p.path)));
    problems.push(...issues.map(labelFor));
    throw configProblems(source, problems);
  }
  const rules = checkRules(result.data, { written: new Set(Object.keys(tree)) });
  problems.push(...rules.errors.map(labelFor));
  if (problems.length > 0) throw configProblems(source, problems);
  const config = resolveConfigPaths(result.data, { baseDir, cwd, setPaths, env });
  return { config, source, warnings: [...(options.warnings ?? []), ...rules.warnings.map(labelFor)] };
}

function configProblems(source: string, problems: string[]): ConfigError {
  const n = problems.length;
  return new ConfigError(`${source}: ${n} problem${n === 1 ? '' : 's'} in the configuration; first: ${problems[0]}`, {
    problems,
    context: { file: source },
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `uri: ${MONGO_URI:-}` with MONGO_URI unset means "no URI": an emptied `${…}` becomes null where the key allows null. */
function nullWhereAllowed(tree: unknown, emptied: readonly KeyPath[]): unknown {
  for (const keyPath of emptied) {
    const schema = schemaAt(configSchema, keyPath);
    if (!schema || !unwrap(schema).nullable || keyPath.length === 0) continue;
    let node = tree as Record<string | number, unknown>;
    for (const key of keyPath.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
    node[keyPath[keyPath.length - 1]!] = null;
  }
  return tree;
}

/** A section written with all its keys commented out (`log:`) is null in YAML; treat it as omitted. */
export function dropNullSections(value: unknown, schema: z.ZodType): unknown {
  if (!isPlainObject(value) || kindOf(schema) !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const child = childSchema(schema, key);
    if (child && objectKeys(child) && item === null) continue;
    out[key] = child ? dropNullSections(item, child) : item;
  }
  return out;
}
