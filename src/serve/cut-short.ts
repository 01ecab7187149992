// Ending a reply before its declared length (a streamed .npy whose later chunk turns out unreadable).
import type { ServerResponse } from 'node:http';

/**
 * What was written goes out first — the status line, the headers, earlier chunks — then the connection closes short
 * of the declared content-length, which every client reports as a failed download. Destroying the socket at once
 * could drop all of it: node's http corks a response's writes until the next tick, so a failure found in the same
 * tick (the next chunk, read ahead, already failed) left the client with a connection closed before any status.
 */
export function cutShort(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket || socket.destroyed) {
    res.destroy();
    return;
  }
  socket.end(() => socket.destroy());
}
