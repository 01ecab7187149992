// Configuration: the schema, loading and the secrets it holds.
export { configSchema, type Config, type RetryConfig } from './schema.js';
export { loadConfig, configFromObject, dropNullSections, DEFAULTS_SOURCE, type LoadConfigOptions, type LoadedConfig, type FromObjectOptions } from './load.js';
export { resolveConfigPaths, workPaths, expandHome, type ResolvedConfig, type WorkPaths, type ResolveOptions } from './resolve-paths.js';
export { collectSecrets, redactUri, uriCredentials } from './secrets.js';
export { discoverConfig, type Discovered } from './discover.js';
export { expandString, expandEnv } from './expand-env.js';
export { parseSets, parseSetValue, applySets, type SetOverride } from './set-overrides.js';
export { leafPaths, sectionPaths, schemaAt } from './schema-walk.js';
export { formatPath, formatProblem } from './problems.js';
