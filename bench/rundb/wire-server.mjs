// Compiles the TypeScript MongoDB wire test server (test/support) with tsc and loads it; also a standalone launcher:
//   node bench/rundb/wire-server.mjs [--port 27017]   → prints {"port","uri"} and serves until SIGTERM.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Inside node_modules so the compiled files resolve bson/mingo from the project's node_modules.
const OUT = path.join(ROOT, 'node_modules', '.cache', 'daqflow-mongo-wire');

/** tsc → node_modules/.cache/daqflow-mongo-wire; returns the compiled module's exports. */
export async function loadWireServer() {
  const args = [
    'tsc',
    '--outDir', OUT,
    '--rootDir', path.join(ROOT, 'test', 'support'),
    '--module', 'NodeNext',
    '--moduleResolution', 'NodeNext',
    '--target', 'ES2022',
    '--strict',
    '--skipLibCheck',
    '--types', 'node',
    path.join(ROOT, 'test', 'support', 'mongo-wire-server.ts'),
    path.join(ROOT, 'test', 'support', 'mongo-wire', 'main.ts'),
  ];
  const result = spawnSync('npx', args, { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`compiling the wire server failed:\n${result.stdout}${result.stderr}`);
  return import(pathToFileURL(path.join(OUT, 'mongo-wire-server.js')).href);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await loadWireServer();
  await import(pathToFileURL(path.join(OUT, 'mongo-wire', 'main.js')).href);
}
