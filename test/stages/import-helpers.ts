// Run folders as a DAQ or the SBND run-record writer leaves them, and the daqflow CLI as a real process.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeTmpDir } from '../support/tmp.js';

const root = path.resolve(import.meta.dirname, '..', '..');

export interface ImportWorld {
  dir: string;
  source: string;
  configFile: string;
}

/** A work dir, a source folder and a config file that points import at it. */
export function importWorld(extra = ''): ImportWorld {
  const dir = makeTmpDir();
  const source = path.join(dir, 'runs');
  fs.mkdirSync(source);
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, `work_dir: ${dir}/work\nhost: test-host\nimport:\n  source_dirs: [${source}]\n${extra}`);
  return { dir, source, configFile };
}

/** A finished run folder: run-record files, a FHiCL file, a data file and (unless `ended: false`) an end marker. */
export function writeRun(source: string, run: number, options: { ended?: boolean; mode?: string; dataBytes?: number; sparseBytes?: number } = {}): string {
  const dir = path.join(source, String(run).padStart(6, '0'));
  fs.mkdirSync(path.join(dir, 'run_record'), { recursive: true });
  const start = new Date(Date.UTC(2026, 0, 1) + run * 3_600_000).toISOString();
  fs.writeFileSync(path.join(dir, 'run_record', 'run_info.json'), JSON.stringify({ number: run, start, mode: options.mode ?? 'physics' }) + '\n');
  fs.writeFileSync(path.join(dir, 'run_record', 'settings.yaml'), `detector: tpc\nthresholds: [10, 20]\n`);
  fs.writeFileSync(path.join(dir, 'boot.fcl'), `daq: { fragment_receiver: { max_fragment_size_bytes: 1048576 } }\n`);
  fs.writeFileSync(path.join(dir, 'data.bin'), Buffer.alloc(options.dataBytes ?? 64, run % 256));
  if (options.sparseBytes) {
    const fd = fs.openSync(path.join(dir, 'sparse.bin'), 'w');
    fs.ftruncateSync(fd, options.sparseBytes);
    fs.closeSync(fd);
  }
  if (options.ended !== false) fs.writeFileSync(path.join(dir, 'run_record', 'end_of_run.json'), JSON.stringify({ end: start }) + '\n');
  return dir;
}

export interface CliRun {
  child: ChildProcess;
  /** Resolves when the process exits, with its code and output. */
  done: Promise<{ code: number | null; stdout: string; stderr: string; order: number }>;
  stderr(): string;
}

let exits = 0;

export function startCli(args: string[], cwd?: string): CliRun {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'daqflow.js'), ...args], {
    cwd: cwd ?? root,
    env: { ...process.env, DAQFLOW_CONFIG: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string; order: number }>((resolve) => {
    child.once('close', (code) => resolve({ code, stdout, stderr, order: exits++ }));
  });
  return { child, done, stderr: () => stderr };
}

export async function waitFor(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
