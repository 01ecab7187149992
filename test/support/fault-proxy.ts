// A tiny fault-injecting HTTP proxy on 127.0.0.1 in front of the real nginx: answers with an error, or runs an action, before forwarding.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What to do with one request: forward it, answer `status` without forwarding, run `before` and then forward,
 * forward only the first `stallAfter` body bytes and then hold the request (calling `onStall`) until the client goes away,
 * or forward the request but cut the connection after `cutResponseAfter` bytes of the answer's body.
 */
export type FaultPlan = (
  req: http.IncomingMessage,
  index: number,
) => 'forward' | { status: number } | { before: () => void } | { stallAfter: number; onStall: () => void } | { cutResponseAfter: number };

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
    if (action !== 'forward' && 'before' in action) action.before();
    const cutAfter = action !== 'forward' && 'cutResponseAfter' in action ? action.cutResponseAfter : null;
    log.push(`${req.method} ${req.url} -> ${action !== 'forward' && 'stallAfter' in action ? 'stalled' : cutAfter !== null ? 'cut' : 'forwarded'}`);
    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (cutAfter === null) {
          upRes.pipe(res);
          return;
        }
        let sent = 0;
        upRes.on('data', (chunk: Buffer) => {
          if (sent >= cutAfter) return;
          const part = chunk.subarray(0, cutAfter - sent);
          sent += part.length;
          if (sent < cutAfter) {
            res.write(part);
            return;
          }
          upRes.destroy();
          res.write(part, () => res.socket?.destroy());
        });
      },
    );
    up.on('error', () => res.destroy());
    // The client went away (e.g. was killed): the upstream request is cut short too, as the client's would be.
    req.once('close', () => {
      if (!req.complete) up.destroy();
    });
    if (action !== 'forward' && 'stallAfter' in action) {
      let sent = 0;
      req.on('data', (chunk: Buffer) => {
        if (sent >= action.stallAfter) return;
        const part = chunk.subarray(0, action.stallAfter - sent);
        sent += part.length;
        up.write(part);
        if (sent >= action.stallAfter) {
          req.pause();
          action.onStall();
        }
      });
      return;
    }
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
