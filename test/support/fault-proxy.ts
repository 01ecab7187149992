// A tiny fault-injecting HTTP proxy on 127.0.0.1 in front of the real nginx: answers with an error, or runs an action, before forwarding.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What to do with one request: forward it, answer `status` without forwarding, or run `before` and then forward. */
export type FaultPlan = (req: http.IncomingMessage, index: number) => 'forward' | { status: number } | { before: () => void };

export interface FaultProxy {
  url: string;
  /** Method and path of every request seen, with what was done. */
  log: string[];
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string, plan: FaultPlan): Promise<FaultProxy> {
  const target = new URL(upstream);
  const log: string[] = [];
  let index = 0;
  const server = http.createServer((req, res) => {
    const action = plan(req, index++);
    if (action !== 'forward' && 'status' in action) {
      log.push(`${req.method} ${req.url} -> ${action.status}`);
      req.resume();
      req.once('end', () => res.writeHead(action.status, { connection: 'close' }).end(`injected ${action.status}\n`));
      return;
    }
    if (action !== 'forward') action.before();
    log.push(`${req.method} ${req.url} -> forwarded`);
    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A 127.0.0.1 port where nothing listens (bound once, then released). */
export async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
