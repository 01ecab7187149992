// Writes the JSON Schema of `report-status --json` into docs/report-schema.md (run after `npm run build` when src/report/schema.ts changes).
import fs from 'node:fs';
import path from 'node:path';
import { reportJsonSchema } from '../dist/report/schema.js';

const doc = path.join(import.meta.dirname, '..', 'docs', 'report-schema.md');
const text = fs.readFileSync(doc, 'utf8');
const block = '```json\n' + JSON.stringify(reportJsonSchema(), null, 1) + '\n```';
const next = text.replace(/```json\n[\s\S]*?\n```/, block);
if (next === text && !text.includes(block)) throw new Error(`${doc}: no \`\`\`json block to replace`);
fs.writeFileSync(doc, next);
console.log(`wrote the report schema into ${doc}`);
