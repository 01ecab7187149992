// Builds dist/ once before the suite, so tests that spawn the real CLI run the current code.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  if (process.env.DAQFLOW_SKIP_BUILD === '1') return;
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
