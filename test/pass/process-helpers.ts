// Spawning real pass processes (test/pass/fixtures/pass-worker.mjs) and reading what they did.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface WorkerSettings {
  workDir: string;
  workLog: string;
  runs: number[];
  sleepMs?: number;
  failRuns?: number[];
  concurrency?: number;
  staleS?: number;
  updateS?: number;
  mode?: string;
  stage?: string;
}

export interface WorkerResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Time from process start to exit, as measured inside the process. */
  innerMs: number | null;
}

const script = path.resolve('test/pass/fixtures/pass-worker.mjs');

export function startWorker(settings: WorkerSettings): { child: ChildProcess; done: Promise<WorkerResult> } {
  const started = performance.now();
  const child = spawn(process.execPath, [script, JSON.stringify(settings)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<WorkerResult>((resolve) => {
    child.once('close', (code, signal) => {
      const timing = /TIMING (\{.*\})/.exec(stderr);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        wallMs: performance.now() - started,
        innerMs: timing ? (JSON.parse(timing[1]!) as { ms: number }).ms : null,
      });
    });
  });
  return { child, done };
}

export function readWorkLog(file: string): { event: string; run: number; pid: number }[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [event, run, pid] = line.split(' ');
      return { event: event!, run: Number(run), pid: Number(pid) };
    });
}

/** Wait until the work log shows `n` lines with the given event. */
export async function waitForEvents(file: string, event: string, n: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (readWorkLog(file).filter((e) => e.event === event).length < n) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} "${event}" events in ${file}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
