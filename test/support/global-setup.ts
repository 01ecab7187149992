// Builds dist/ once before the suite, so tests that spawn the real CLI run the current code.
// A type error does not stop the suite here: `npm run build` in .ci/run fails on it first.
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  if (process.env.DAQFLOW_SKIP_BUILD === '1') return;
  const result = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (result.status !== 0) console.warn('global-setup: tsc reported errors; dist/ may be stale');
  // The WebAssembly modules (dist/wasm/: LZ4 decoding, the hit finder, the records kernels, raw_records → records),
  // which src/ loads too.
  const wasm = spawnSync('npm', ['run', '--silent', 'build:wasm'], { stdio: 'inherit' });
  if (wasm.status !== 0) throw new Error('global-setup: npm run build:wasm failed');
}
