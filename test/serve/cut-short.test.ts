// A reply cut short in the same tick as its first writes still reaches the client with its status and the bytes
// written, then fails as a download: node's http corks those writes until the next tick, and destroying the socket
// at once dropped them all (CI saw it: the client got "other side closed" and no status).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { cutShort } from '../../src/serve/cut-short.js';

let server: http.Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handler: http.RequestListener): Promise<string> {
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('cutShort', () => {
  test('sends the status and what was written in the same tick, then ends short of the declared length', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000' });
      res.write(Buffer.alloc(100, 7));
      cutShort(res);
    });
    for (let i = 0; i < 20; i++) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe('1000');
      await expect(res.arrayBuffer()).rejects.toThrow();
    }
  });

  test('a raw client receives exactly the bytes written before the cut, then the end of the connection', async () => {
    const url = new URL(await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(100, 7));
      cutShort(res);
    }));
    const body = await new Promise<Buffer>((resolve, reject) => {
      const req = http.get({ host: url.hostname, port: url.port, path: '/' }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('error', () => resolve(Buffer.concat(parts)));
        res.on('aborted', () => resolve(Buffer.concat(parts)));
        res.on('end', () => reject(new Error('the reply ended as if complete')));
      });
      req.on('error', reject);
    });
    expect(body.equals(Buffer.alloc(100, 7))).toBe(true);
  });
});
