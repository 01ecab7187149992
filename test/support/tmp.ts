// Temporary folders for tests, removed after the run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  if (process.env.DAQFLOW_KEEP_TMP === '1') return;
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

export function makeTmpDir(prefix = 'daqflow-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
