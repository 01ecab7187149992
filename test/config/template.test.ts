// The shipped config.yaml.template and the zod schema describe exactly the same keys, and every key is documented.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { configFromObject } from '../../src/config/load.js';
import { leafPaths } from '../../src/config/schema-walk.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const templateFile = path.join(root, 'config.yaml.template');
const text = fs.readFileSync(templateFile, 'utf8');
const lines = text.split('\n');
const lineCounter = new LineCounter();
const doc = parseDocument(text, { lineCounter });

interface KeyAt {
  path: string;
  line: number;
  leaf: boolean;
}

/** Every key of the template with its line; maps are walked, lists and records are leaves (as in leafPaths). */
function templateKeys(node: Node | null | undefined, prefix: string, stopAt: Set<string>): KeyAt[] {
  if (!isMap(node)) return [];
  return node.items.flatMap((pair) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const dotted = prefix ? `${prefix}.${key}` : key;
    const line = lineCounter.linePos((pair.key as Node).range![0]).line;
    const value = pair.value as Node | null;
    const descend = isMap(value) && !stopAt.has(dotted);
    return [{ path: dotted, line, leaf: !descend }, ...(descend ? templateKeys(value, dotted, stopAt) : [])];
  });
}

const schemaLeaves = leafPaths(configSchema);
const keys = templateKeys(doc.contents as Node, '', new Set(schemaLeaves));

describe('config.yaml.template', () => {
  it('is valid YAML', () => {
    expect(doc.errors.map((e) => e.message)).toEqual([]);
  });

  it('validates against the schema and loads without problems', () => {
    const loaded = configFromObject(doc.toJS(), { source: templateFile, baseDir: root, env: {} });
    expect(loaded.config.pass.concurrency).toBe(4);
  });

  it('holds the schema defaults as its values', () => {
    expect(configSchema.parse(doc.toJS())).toEqual(configSchema.parse({}));
  });

  it('has every key of the schema', () => {
    const inTemplate = new Set(keys.filter((k) => k.leaf).map((k) => k.path));
    expect(schemaLeaves.filter((p) => !inTemplate.has(p))).toEqual([]);
  });

  it('has no key that the schema does not know', () => {
    const known = new Set(schemaLeaves);
    const unknown = keys.filter((k) => k.leaf && !known.has(k.path)).map((k) => k.path);
    expect(unknown).toEqual([]);
  });

  it('has a comment line directly above every key', () => {
    const bare = keys.filter((k) => !/^\s*#/.test(lines[k.line - 2] ?? '')).map((k) => `${k.path} (line ${k.line})`);
    expect(bare).toEqual([]);
    expect(keys.length).toBeGreaterThan(100);
  });

  it('shows ${VAR:-default} for rundb.uri and the SMTP password', () => {
    const uriLine = keys.find((k) => k.path === 'rundb.uri')!.line;
    const passwordLine = keys.find((k) => k.path === 'notify.email.password')!.line;
    expect(lines.slice(uriLine - 6, uriLine - 1).join('\n')).toMatch(/\$\{MONGO_URI:-[^}]+\}/);
    expect(lines.slice(passwordLine - 4, passwordLine - 1).join('\n')).toMatch(/\$\{SMTP_PASSWORD:-\}/);
  });
});
