// Writes docs/CONFIG_REFERENCE.md from the schema and config.yaml.template (`npm run docs:config`; needs a build).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configReference } from '../dist/config/reference.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'docs', 'CONFIG_REFERENCE.md');
fs.writeFileSync(target, configReference(fs.readFileSync(path.join(root, 'config.yaml.template'), 'utf8')));
console.log(`wrote ${path.relative(root, target)}`);
