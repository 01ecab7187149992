// docs/COMMANDS.md is every command's --help as the built CLI prints it now (regenerate with `npm run docs:commands`).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error — a plain ES module script without type declarations
import { commandsDoc } from '../../scripts/gen-commands-doc.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');

describe('docs/COMMANDS.md', () => {
  it('is current and covers every command with its examples', async () => {
    const generated = (await commandsDoc()) as string;
    expect(fs.readFileSync(path.join(root, 'docs', 'COMMANDS.md'), 'utf8')).toBe(generated);
    const sections = generated.split('\n## ').slice(1);
    expect(sections.length).toBeGreaterThanOrEqual(16);
    for (const s of sections.filter((x) => !x.startsWith('daqflow\n'))) expect(s, s.split('\n')[0]).toContain('Examples:');
  }, 120_000);
});
