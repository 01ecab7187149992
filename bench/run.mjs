// `npm run bench` lists the benchmarks; `npm run bench -- engine/parity rechunk/rechunk` runs those, `-- all` every one,
// each in its own process, one after another. A benchmark is a bench/<area>/<name>.mjs file that no other bench file
// imports or starts (those are its helpers). Each prints its baseline, its figure and their ratio.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const here = import.meta.dirname;
const files = fs.readdirSync(here, { recursive: true }).map(String).filter((f) => f.endsWith('.mjs') && f.includes(path.sep)).sort();
const text = new Map(files.map((f) => [f, fs.readFileSync(path.join(here, f), 'utf8')]));
/** The bench files another one names in a string ('./synth.mjs', '../rundb/wire-server.mjs', 'child.mjs'): its helpers. */
const helpers = new Set(
  files.flatMap((other) => [...text.get(other).matchAll(/['"`]([\w./-]+\.mjs)['"`]/g)].map((m) => path.normalize(path.join(path.dirname(other), m[1])))),
);
const isHelper = (f) => helpers.has(path.normalize(f));
const benches = files.filter((f) => !isHelper(f)).map((f) => f.replace(/\.mjs$/, ''));
const summary = (f) => (text.get(`${f}.mjs`).split('\n')[0] ?? '').replace(/^\/\/\s?/, '');

const wanted = process.argv.slice(2);
if (wanted.length === 0) {
  console.log('benchmarks (npm run bench -- <name>… | all; environment knobs are described at the top of each file):');
  for (const b of benches) console.log(`  ${b.padEnd(26)} ${summary(b).slice(0, 100)}`);
  process.exit(0);
}
const chosen = wanted.includes('all') ? benches : wanted;
const unknown = chosen.filter((b) => !benches.includes(b));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; run \`npm run bench\` for the list`);
  process.exit(3);
}
let worst = 0;
for (const b of chosen) {
  console.log(`\n== ${b}`);
  const r = spawnSync(process.execPath, [path.join(here, `${b}.mjs`)], { stdio: 'inherit' });
  worst = Math.max(worst, r.status ?? 1);
}
process.exit(worst);
