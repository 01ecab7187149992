// One measurement of bench/rechunk/rechunk.mjs in its own process; prints {seconds, rssMb, detail} as the last line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../dist/config/index.js';
import { memoryLogger } from '../../dist/log/index.js';
import { runRechunk } from '../../dist/stages/rechunk.js';
import { getCompressor, parseMetadata } from '../../dist/strax/index.js';

const [mode, where, targetMb, threads, deep] = process.argv.slice(2);
const rss = () => process.resourceUsage().maxRSS / 1024;

if (mode === 'codec') {
  // The same frames read into memory first (untimed), then the bare codecs: decode each, encode per 100 MB of rows.
  const meta = fs.readdirSync(where).find((n) => n.endsWith('-metadata.json'));
  const md = parseMetadata(fs.readFileSync(path.join(where, meta), 'utf8'), meta);
  const frames = md.chunks.filter((c) => c.n > 0).map((c) => ({ frame: fs.readFileSync(path.join(where, c.filename)), nbytes: c.nbytes }));
  const lz4 = getCompressor('lz4');
  const zstd = getCompressor('zstd');
  const limit = Number(targetMb) * 1e6;
  const t0 = performance.now();
  let parts = [];
  let size = 0;
  let out = 0;
  for (const f of frames) {
    const rows = await lz4.decompress(f.frame, f.nbytes);
    parts.push(rows);
    size += rows.length;
    if (size >= limit) {
      out += (await zstd.compress(Buffer.concat(parts))).length;
      parts = [];
      size = 0;
    }
  }
  if (parts.length) out += (await zstd.compress(Buffer.concat(parts))).length;
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ seconds, rssMb: rss(), detail: `${(out / 1e6).toFixed(0)} MB of zstd frames` }));
} else {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-bench-rechunk-run-'));
  const dest = path.join(dir, 'production');
  fs.mkdirSync(dest);
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, [
    `work_dir: ${dir}/work`, 'host: bench', 'rechunk:', `  source_dir: ${where}`, `  dest_dir: ${dest}`, `  target_mb: ${targetMb}`,
    '  compressor: zstd', '  keep_source: true', `  max_threads: ${threads}`, `  deep_compare: ${deep}`, '',
  ].join('\n'));
  const { config } = loadConfig({ configPath: configFile, env: {} });
  const t0 = performance.now();
  const summary = await runRechunk({ config, logger: memoryLogger(), mode: 'full', handleSignals: false });
  const seconds = (performance.now() - t0) / 1000;
  if (summary.done.length !== 1) throw new Error(`rechunk did not finish: ${JSON.stringify(summary)}`);
  const sizes = fs.readdirSync(dest).flatMap((d) => fs.readdirSync(path.join(dest, d)).map((f) => fs.statSync(path.join(dest, d, f)).size));
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ seconds, rssMb: rss(), detail: `${sizes.length - 1} chunks, ${(sizes.reduce((a, b) => a + b, 0) / 1e6).toFixed(0)} MB` }));
}
