// Standalone launcher for the test server (after compiling with tsc): prints {"port","uri"} and serves until SIGTERM.
import { MongoWireServer } from '../mongo-wire-server.js';

const portArg = process.argv.indexOf('--port');
const port = portArg >= 0 ? Number(process.argv[portArg + 1]) : 0;
const server = await MongoWireServer.start({ port });
process.stdout.write(`${JSON.stringify({ port: server.port, uri: server.uri })}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
