// docs/CONFIG_REFERENCE.md is what the generator makes of the current schema and template, and names every key.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configReference, typeOf } from '../../src/config/reference.js';
import { configSchema } from '../../src/config/schema.js';
import { leafPaths, schemaAt } from '../../src/config/schema-walk.js';

const root = path.resolve(import.meta.dirname, '../..');
const generated = configReference(fs.readFileSync(path.join(root, 'config.yaml.template'), 'utf8'));

describe('configuration reference', () => {
  it('is current (regenerate with `npm run docs:config`)', () => {
    expect(fs.readFileSync(path.join(root, 'docs/CONFIG_REFERENCE.md'), 'utf8')).toBe(generated);
  });

  it('has one row per schema key, with its comment', () => {
    for (const key of leafPaths(configSchema)) {
      const row = generated.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
      expect(row, key).toBeDefined();
      expect(row!.split(' | ').at(-1)!.length, `${key} has a meaning`).toBeGreaterThan(3);
    }
  });

  it('describes types and defaults from the schema', () => {
    expect(typeOf(schemaAt(configSchema, ['log', 'level'])!)).toBe('`debug` \\| `info` \\| `warn` \\| `error`');
    expect(typeOf(schemaAt(configSchema, ['pass', 'concurrency'])!)).toBe('int');
    expect(typeOf(schemaAt(configSchema, ['host'])!)).toBe('string or null');
    expect(generated).toContain('| `pass.concurrency` | int | `4` |');
  });
});
