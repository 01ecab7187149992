// Carbon (Graphite) plaintext protocol over TCP: one `<path> <value> <unix time>` line per figure.
import net from 'node:net';
import type { Config } from '../config/schema.js';
import { metricStage, type PassFigures } from './figures.js';

export function carbonLines(prefix: string, stage: string, figures: PassFigures, when: Date): string[] {
  const t = Math.floor(when.getTime() / 1000);
  return Object.entries(figures).map(([name, value]) => `${prefix}.${metricStage(stage)}.${name} ${value} ${t}`);
}

/** Sends the lines and resolves once the server has the connection's end; rejects on a refused connection or the timeout. */
export function sendCarbon(carbon: Config['metrics']['carbon'], lines: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: carbon.host, port: carbon.port });
    socket.setTimeout(carbon.timeout_s * 1000, () => socket.destroy(new Error(`no answer from ${carbon.host}:${carbon.port} within ${carbon.timeout_s} s`)));
    socket.once('error', reject);
    socket.once('connect', () => socket.end(lines.map((l) => `${l}\n`).join('')));
    socket.once('close', (hadError) => {
      if (!hadError) resolve();
    });
  });
}
