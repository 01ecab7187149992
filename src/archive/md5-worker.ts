// MD5 on a worker thread, so hashing a blob overlaps with reading and sending it instead of stalling the event loop.
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const sessions = new Map();
parentPort.on('message', (m) => {
  let hash = sessions.get(m.id);
  if (!hash) sessions.set(m.id, (hash = crypto.createHash('md5')));
  if (m.drop) {
    sessions.delete(m.id);
  } else if (m.buf) {
    hash.update(new Uint8Array(m.buf));
    parentPort.postMessage({ id: m.id, acked: m.buf.byteLength });
  } else {
    sessions.delete(m.id);
    parentPort.postMessage({ id: m.id, md5: hash.digest('hex') });
  }
});
`;

/** Bytes a session may have in flight to the worker before update() makes the caller wait. */
const MAX_IN_FLIGHT = 16 * 2 ** 20;

interface Session {
  inFlight: number;
  drained: Array<() => void>;
  done?: (md5: string) => void;
  fail?: (error: Error) => void;
}

let worker: Worker | null = null;
const sessions = new Map<number, Session>();
let nextId = 1;

function theWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_SOURCE, { eval: true });
  w.on('message', (m: { id: number; acked?: number; md5?: string }) => {
    const s = sessions.get(m.id);
    if (!s) return;
    if (m.acked !== undefined) {
      s.inFlight -= m.acked;
      if (s.inFlight <= MAX_IN_FLIGHT / 2) for (const wake of s.drained.splice(0)) wake();
    } else {
      sessions.delete(m.id);
      if (sessions.size === 0) w.unref();
      s.done?.(m.md5!);
    }
  });
  w.on('error', (error) => {
    worker = null;
    for (const [id, s] of sessions) {
      sessions.delete(id);
      s.fail?.(new Error(`the MD5 worker failed: ${error.message}`));
      for (const wake of s.drained.splice(0)) wake();
    }
  });
  w.unref();
  worker = w;
  return w;
}

/** One MD5 computation on the shared worker. Chunks are copied (the caller keeps using its buffer). */
export class WorkerMd5 {
  private readonly id = nextId++;
  private readonly session: Session = { inFlight: 0, drained: [] };

  constructor() {
    sessions.set(this.id, this.session);
    theWorker().ref();
  }

  /** Queue a chunk; resolves at once unless too much is in flight (back-pressure). */
  update(chunk: Uint8Array): Promise<void> | undefined {
    const copy = new Uint8Array(chunk);
    this.session.inFlight += copy.byteLength;
    theWorker().postMessage({ id: this.id, buf: copy.buffer }, [copy.buffer]);
    if (this.session.inFlight <= MAX_IN_FLIGHT) return undefined;
    return new Promise((resolve) => this.session.drained.push(resolve));
  }

  /** Give up on this computation (the stream failed); frees the worker's state. */
  abandon(): void {
    if (!sessions.delete(this.id)) return;
    theWorker().postMessage({ id: this.id, drop: true });
    if (sessions.size === 0) worker?.unref();
    for (const wake of this.session.drained.splice(0)) wake();
  }

  digest(): Promise<string> {
    if (!sessions.has(this.id)) return Promise.reject(new Error('MD5 computation was abandoned'));
    return new Promise((resolve, reject) => {
      this.session.done = resolve;
      this.session.fail = reject;
      theWorker().postMessage({ id: this.id });
    });
  }
}
