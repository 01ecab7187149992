// Helper of get-data.mjs: a bare node:http server (no framework, no load, no encoding per request) that sends bodies
// prepared once at start: the .npy file and the JSON text of each data type, as daqflow serve would reply them.
// Usage: node bare-server.mjs <storage dir> <run> <type>...; prints "bare on http://127.0.0.1:PORT" on stderr.
import http from 'node:http';
import { DataDirectory, readAllRows } from '../../dist/strax/index.js';
import { layoutOf } from '../../dist/strax/storage/chunk-reader.js';
import { npyHeader } from '../../dist/serve/encode-npy.js';
import { jsonArrayChunks } from '../../dist/serve/encode-json.js';

const [root, run, ...types] = process.argv.slice(2);
const bodies = new Map();
for (const type of types) {
  const ds = new DataDirectory(root).find(run, type);
  const layout = layoutOf(ds);
  const rows = await readAllRows(ds);
  bodies.set(`${type}.npy`, Buffer.concat([npyHeader(layout, rows.length / layout.itemsize), rows]));
  bodies.set(`${type}.json`, Buffer.concat([...jsonArrayChunks(layout, [rows])]));
}
const server = http.createServer((req, res) => {
  const body = bodies.get(req.url.slice(1));
  if (!body) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-length': body.length });
  res.end(body);
});
// Idle connections are kept as long as fastify keeps them (node's own 5 s would race the bench client's reuse of a
// connection idle for about that long: "socket hang up").
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => process.stderr.write(`bare on http://127.0.0.1:${server.address().port}\n`));
