// Races of real OS processes on one runs DB: start N workers (compiled dist/ code), release them together, collect one JSON line each.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { MongoWireServer } from '../support/mongo-wire-server.js';

const DIST = fileURLToPath(new URL('../../dist/rundb/index.js', import.meta.url));

/** For a describe block whose workers load dist/: checks dist exists, starts a wire server before and closes it after. */
export function wireServerForWorkers(): () => MongoWireServer {
  let wire: MongoWireServer | undefined;
  beforeAll(async () => {
    if (!fs.existsSync(DIST)) throw new Error(`${DIST} is missing: build with npx tsc -p tsconfig.json first`);
    wire = await MongoWireServer.start();
  });
  afterAll(() => wire?.close());
  return () => wire!;
}

/**
 * Starts every worker, releases them together once all are connected, and collects the JSON line each one prints after "ready".
 * A worker's result is read on 'close', not 'exit': 'exit' can fire before the parent has read the last line from the
 * child's stdout pipe (seen on a loaded CI machine), which made JSON.parse('') throw inside the listener and hang the test.
 * Any worker failure kills the others and rejects with that worker's stderr.
 */
export async function raceWorkers<T>(worker: string, count: number, argsOf: (i: number) => string[]): Promise<T[]> {
  const children = Array.from({ length: count }, (_, i) => spawn(process.execPath, [worker, ...argsOf(i)], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const outputs = children.map((child, i) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const failure = (what: string) => new Error(`worker ${i} ${what}; stdout: ${JSON.stringify(out)}; stderr: ${err || '(empty)'}`);
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => out.includes('ready\n') && resolve());
      child.once('error', (e) => reject(failure(`could not start: ${e.message}`)));
      child.once('close', (code, signal) => reject(failure(`ended (code ${code}, signal ${signal}) before ready`)));
    });
    const done = new Promise<T>((resolve, reject) =>
      child.once('close', (code, signal) => {
        if (code !== 0) return reject(failure(`ended with code ${code}, signal ${signal}`));
        const line = out.split('\n')[1] ?? '';
        try {
          resolve(JSON.parse(line) as T);
        } catch {
          reject(failure('exited 0 without a result line'));
        }
      }),
    );
    return { ready, done };
  });
  try {
    await Promise.all(outputs.map((o) => o.ready));
    for (const child of children) child.stdin.end('go\n');
    return await Promise.all(outputs.map((o) => o.done));
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // Rejections of workers killed above are already accounted for by the first failure.
    for (const o of outputs) {
      o.ready.catch(() => {});
      o.done.catch(() => {});
    }
  }
}

