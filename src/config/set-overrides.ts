// --set section.key=value overrides: the value is read as a YAML scalar or flow collection, the path is checked against the schema.
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { childSchema, kindOf, leafPaths, objectKeys, schemaAt, unwrap } from './schema-walk.js';
import { unknownKeyMessage } from './suggest.js';

export interface SetOverride {
  path: string[];
  dotted: string;
  value: unknown;
}

export interface SetResult {
  overrides: SetOverride[];
  problems: string[];
}

/** Read `8` as a number, `[a,b]` as a list, `true` as a boolean, anything unparsable as the plain string. */
export function parseSetValue(text: string, target?: z.ZodType): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || doc.warnings.length > 0) return text;
  const value: unknown = doc.toJS();
  // A key that wants a string gets the text as written (`--set archive.folder=0123` stays "0123").
  if (target && isStringLeaf(target) && value !== null && typeof value !== 'string' && typeof value !== 'object') return text;
  return value;
}

function isStringLeaf(schema: z.ZodType): boolean {
  const inner = unwrap(schema).inner as unknown as { _zod: { def: { type: string } } };
  return inner._zod.def.type === 'string';
}

/** Check that a dotted path names a key of the schema (records accept any key below them). */
export function checkSetPath(root: z.ZodType, path: readonly string[]): string | undefined {
  let node: z.ZodType = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const here = path.slice(0, i).join('.');
    const kind = kindOf(node);
    if (kind === 'record') return undefined;
    if (kind === 'array') return `${here} is a list; set the whole list, e.g. ${here}=[a,b]`;
    if (kind === 'leaf') return `${here} is a single value, not a section`;
    const child = childSchema(node, key);
    if (!child) {
      const where = here ? `${here}: ` : '';
      return `${where}${unknownKeyMessage(key, objectKeys(node) ?? [], leafPaths(root))}`;
    }
    node = child;
  }
  return undefined;
}

export function parseSets(root: z.ZodType, sets: readonly string[]): SetResult {
  const overrides: SetOverride[] = [];
  const problems: string[] = [];
  for (const text of sets) {
    const eq = text.indexOf('=');
    const dotted = eq < 0 ? text : text.slice(0, eq).trim();
    const path = dotted.split('.');
    if (eq < 0 || path.some((p) => p === '')) {
      problems.push(`--set: ${JSON.stringify(text)}: expected section.key=value, e.g. --set pass.concurrency=8`);
      continue;
    }
    const bad = checkSetPath(root, path);
    if (bad) {
      problems.push(`--set: ${bad}`);
      continue;
    }
    overrides.push({ path, dotted, value: parseSetValue(text.slice(eq + 1), schemaAt(root, path)) });
  }
  return { overrides, problems };
}

/** Write the overrides into the raw tree (in order, so the last one wins), creating sections as needed. */
export function applySets(raw: Record<string, unknown>, overrides: readonly SetOverride[]): void {
  for (const { path, value } of overrides) {
    let node = raw;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
}
