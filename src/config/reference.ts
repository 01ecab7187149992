// The configuration reference (docs/CONFIG_REFERENCE.md), generated from the schema (types, defaults) and the shipped
// config.yaml.template (what each key means: the comment above it), so the two can never disagree with the docs.
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { configSchema } from './schema.js';
import { enumValues, isIntegerSchema, kindOf, leafPaths, schemaAt, unwrap } from './schema-walk.js';

interface TemplateKey {
  path: string;
  /** The comment lines directly above the key, without `#` and without dashed rules. */
  comment: string[];
}

/** Every key of the template (maps walked down to the schema's leaves) with the comment block above it. */
function templateKeys(text: string, leaves: Set<string>): TemplateKey[] {
  const lines = text.split('\n');
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  const commentAbove = (line: number): string[] => {
    const block: string[] = [];
    for (let i = line - 2; i >= 0 && /^\s*#/.test(lines[i]!); i--) block.unshift(lines[i]!.replace(/^\s*# ?/, ''));
    return block.filter((l) => !/^-{10,}$/.test(l.trim()));
  };
  const walk = (node: Node | null | undefined, prefix: string): TemplateKey[] => {
    if (!isMap(node)) return [];
    return node.items.flatMap((pair) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const dotted = prefix ? `${prefix}.${key}` : key;
      const line = counter.linePos((pair.key as Node).range![0]).line;
      const own = { path: dotted, comment: commentAbove(line) };
      return leaves.has(dotted) ? [own] : [own, ...walk(pair.value as Node, dotted)];
    });
  };
  return walk(doc.contents as Node, '');
}

/** A short type description of a leaf: `int`, `number`, `string`, `bool`, one of the enum values, a list, a map. */
export function typeOf(schema: z.ZodType): string {
  const { inner, nullable } = unwrap(schema);
  const type = (inner as unknown as { _zod: { def: { type: string } } })._zod.def.type;
  const values = enumValues(inner);
  let text: string;
  if (values) text = values.map((v) => `\`${v}\``).join(' \\| ');
  else if (kindOf(inner) === 'array') text = 'list';
  else if (kindOf(inner) === 'record') text = 'map';
  else if (type === 'number') text = isIntegerSchema(inner) ? 'int' : 'number';
  else if (type === 'boolean') text = 'bool';
  else text = type;
  return nullable ? `${text} or null` : text;
}

function valueAt(config: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], config);
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A comment block as one paragraph; indented lines (examples) become inline code. */
const prose = (lines: string[]): string =>
  lines.map((l) => (/^\s{2,}\S/.test(l) ? `\`${l.trim()}\`` : l.trim().replace(/</g, '&lt;'))).join(' ');

/** The reference as Markdown: one table per top-level section, keys in template order. */
export function configReference(templateText: string): string {
  const leaves = leafPaths(configSchema);
  const defaults = configSchema.parse({});
  const keys = templateKeys(templateText, new Set(leaves));
  const out = [
    '# Configuration reference',
    '',
    'Every key daqflow reads, with its type and default. Generated from the schema (`src/config/schema.ts`) and the',
    'comments of `config.yaml.template` by `npm run docs:config`; do not edit by hand (a test fails when it is stale).',
    '[CONFIGURATION.md](CONFIGURATION.md) explains how the file is found, loaded, expanded and checked.',
    '',
  ];
  const table = ['| key | type | default | meaning |', '|---|---|---|---|'];
  let heading = '';
  const startSection = (title: string, intro: string[]) => {
    if (out.at(-1) !== '') out.push('');
    out.push(`## ${title}`, '', ...(intro.length > 0 ? [intro.join(' '), ''] : []), ...table);
  };
  for (const key of keys) {
    const isLeaf = leaves.includes(key.path);
    const topLevel = !key.path.includes('.');
    if (topLevel && !isLeaf) {
      heading = key.path;
      const intro = prose(key.comment).replace(new RegExp(`^${key.path}:\\s*`), '');
      startSection(`\`${key.path}\``, [intro.charAt(0).toUpperCase() + intro.slice(1)]);
    } else if (topLevel && heading !== '') {
      heading = '';
      startSection('Top level', []);
    } else if (topLevel && out.at(-1)?.startsWith('|') !== true) {
      startSection('Top level', []);
    }
    if (!isLeaf && !topLevel) out.push(`| **\`${key.path}\`** | section | | ${cell(prose(key.comment))} |`);
    if (!isLeaf) continue;
    const schema = schemaAt(configSchema, key.path.split('.'))!;
    const value = JSON.stringify(valueAt(defaults, key.path)) ?? 'null';
    out.push(`| \`${key.path}\` | ${typeOf(schema)} | \`${cell(value)}\` | ${cell(prose(key.comment))} |`);
  }
  return out.join('\n') + '\n';
}
