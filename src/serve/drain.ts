// A shutdown that lets replies finish: Node's server.close() destroys "idle" sockets, and it counts a reply whose
// end() was called as done even while megabytes of it still wait in the socket's buffer (a slow client then gets a
// truncated body). This replaces that step: sockets between requests are closed, sockets with a reply are ended
// gracefully once the reply has been handed to the operating system.
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export function drainOnClose(server: Server): void {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.closeIdleConnections = () => {
    for (const socket of sockets) {
      const reply = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
      if (!reply) socket.destroy();
      else if (reply.writableFinished) socket.end();
      else reply.once('finish', () => socket.end());
    }
  };
}
