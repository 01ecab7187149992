// Races of real OS processes on one runs DB: start N workers (compiled dist/ code), release them together (once, or
// round after round in lockstep), collect one JSON line each.
import { spawn, type ChildProcess } from 'node:child_process';
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

interface WorkerProcess<T> {
  child: ChildProcess;
  /** Resolves once the worker printed "ready". */
  ready: Promise<void>;
  /** The worker's next stdout line after "ready" (rejects if it ends first). */
  nextLine(): Promise<string>;
  /** The JSON of its last stdout line, once it exited 0. */
  done: Promise<T>;
}

/**
 * A worker's result is read on 'close', not 'exit': 'exit' can fire before the parent has read the last line from the
 * child's stdout pipe (seen on a loaded CI machine), which made JSON.parse('') throw inside the listener and hang the test.
 */
function startWorker<T>(worker: string, args: string[], i: number): WorkerProcess<T> {
  const child = spawn(process.execPath, [worker, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let ended: Error | undefined;
  const lines: string[] = [];
  let waiting: { resolve: (line: string) => void; reject: (e: Error) => void } | undefined;
  const failure = (what: string) => new Error(`worker ${i} ${what}; stdout: ${JSON.stringify(out)}; stderr: ${err || '(empty)'}`);
  let partial = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    partial += c.toString();
    const complete = partial.split('\n');
    partial = complete.pop()!;
    lines.push(...complete);
    if (waiting && lines.length > 0) {
      waiting.resolve(lines.shift()!);
      waiting = undefined;
    }
  });
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  child.stdin!.on('error', () => {}); // a worker that died: reported by its 'close'
  const closed = new Promise<number | null>((resolve) =>
    child.once('close', (code, signal) => {
      ended = failure(`ended (code ${code}, signal ${signal})`);
      waiting?.reject(ended);
      resolve(code);
    }),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.once('error', (e) => reject(failure(`could not start: ${e.message}`)));
    void closed.then(() => reject(failure('ended before ready')));
    const check = () => {
      if (lines[0] === 'ready') {
        lines.shift();
        child.stdout.off('data', check);
        resolve();
      }
    };
    child.stdout.on('data', check);
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      if (lines.length > 0) return resolve(lines.shift()!);
      if (ended) return reject(ended);
      waiting = { resolve, reject };
    });
  const done = closed.then((code) => {
    if (code !== 0) throw ended!;
    const last = out.trimEnd().split('\n').pop() ?? '';
    try {
      return JSON.parse(last) as T;
    } catch {
      throw failure('exited 0 without a result line');
    }
  });
  return { child, ready, nextLine, done };
}

/** Runs `body` on started workers; any worker failure kills the others and rejects with that worker's stderr. */
async function withWorkers<T, R>(worker: string, count: number, argsOf: (i: number) => string[], body: (workers: WorkerProcess<T>[]) => Promise<R>): Promise<R> {
  const workers = Array.from({ length: count }, (_, i) => startWorker<T>(worker, argsOf(i), i));
  try {
    await Promise.all(workers.map((w) => w.ready));
    return await body(workers);
  } finally {
    for (const { child } of workers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // Rejections of workers killed above are already accounted for by the first failure.
    for (const w of workers) {
      w.ready.catch(() => {});
      w.done.catch(() => {});
    }
  }
}

/** Starts every worker, releases them together once all are connected, and collects the JSON line each one prints last. */
export function raceWorkers<T>(worker: string, count: number, argsOf: (i: number) => string[]): Promise<T[]> {
  return withWorkers<T, T[]>(worker, count, argsOf, async (workers) => {
    for (const { child } of workers) child.stdin!.end('go\n');
    return Promise.all(workers.map((w) => w.done));
  });
}

/**
 * Races in lockstep: every round, all workers still at work are released together ("go") and each makes one attempt,
 * answering with one line ("done" when it has nothing left to do); the next round starts when all have answered. So
 * every worker takes part from the first round on, however the OS schedules them: a fast one cannot finish the whole
 * job before the others have started. Returns each worker's JSON result and the number of rounds.
 */
export function lockstepWorkers<T>(worker: string, count: number, argsOf: (i: number) => string[]): Promise<{ results: T[]; rounds: number }> {
  return withWorkers<T, { results: T[]; rounds: number }>(worker, count, argsOf, async (workers) => {
    let active = workers;
    let rounds = 0;
    while (active.length > 0) {
      rounds++;
      for (const { child } of active) child.stdin!.write('go\n');
      const answers = await Promise.all(active.map((w) => w.nextLine()));
      active = active.filter((w, k) => {
        if (answers[k] !== 'done') return true;
        w.child.stdin!.end();
        return false;
      });
    }
    return { results: await Promise.all(workers.map((w) => w.done)), rounds };
  });
}
