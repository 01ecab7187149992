// A MongoDB-wire-compatible test server (OP_MSG + legacy OP_QUERY handshake) with fault hooks, so the real driver runs over TCP.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Document } from 'bson';
import { commandName, isHandshake, runCommand } from './mongo-wire/commands.js';
import { MessageReader, decodeMessage, encodeOpMsg, encodeOpReply, type Request } from './mongo-wire/protocol.js';
import { WireState } from './mongo-wire/state.js';

export interface FailSpec {
  code: number;
  errmsg?: string;
  codeName?: string;
  errorLabels?: string[];
}

export interface MongoWireServerOptions {
  host?: string;
  /** 0 (default) picks a free port; restart() reuses whatever port was chosen. */
  port?: number;
}

export class MongoWireServer {
  /** The data; survives stop()/restart() like a mongod's disk. */
  readonly state = new WireState();
  /** How many commands of each name were executed (handshakes excluded). */
  readonly commandCounts = new Map<string, number>();
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly host: string;
  private boundPort: number;
  private generation = 0;
  private nextConnectionId = 1;
  private delays: Array<{ count: number; ms: number }> = [];
  private failures: Array<{ count: number; spec: FailSpec }> = [];

  private constructor(options: MongoWireServerOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.boundPort = options.port ?? 0;
  }

  static async start(options: MongoWireServerOptions = {}): Promise<MongoWireServer> {
    const server = new MongoWireServer(options);
    await server.listen();
    return server;
  }

  get port(): number {
    return this.boundPort;
  }

  /** A connection string for the driver; `directConnection` keeps it a standalone topology. */
  get uri(): string {
    return `mongodb://${this.host}:${this.boundPort}/?directConnection=true`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Stops listening and cuts every connection; commands waiting in delayNext are dropped unexecuted. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.generation++;
    this.state.dropCursors();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.dropAllConnections();
    await closed;
  }

  /** Listens again on the same port, with the same data. */
  async restart(): Promise<void> {
    if (this.server) return;
    await this.listen();
  }

  /** Destroys every open connection; the server keeps listening. */
  dropAllConnections(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** The next `n` commands (handshakes excluded) wait `ms` before they run. */
  delayNext(n: number, ms: number): void {
    this.delays.push({ count: n, ms });
  }

  /** The next `n` commands (handshakes excluded) fail with this error instead of running. */
  failNext(n: number, spec: FailSpec): void {
    this.failures.push({ count: n, spec });
  }

  /** Stops for good. */
  async close(): Promise<void> {
    await this.stop();
  }

  private async listen(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  private accept(socket: net.Socket): void {
    const connectionId = this.nextConnectionId++;
    const generation = this.generation;
    const reader = new MessageReader();
    let chain = Promise.resolve();
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      let messages: Buffer[];
      try {
        messages = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const message of messages) {
        chain = chain.then(() => this.handle(socket, connectionId, generation, message)).catch(() => {
          socket.destroy();
        });
      }
    });
  }

  private async handle(socket: net.Socket, connectionId: number, generation: number, message: Buffer): Promise<void> {
    const request = decodeMessage(message);
    if (request.kind === 'query' && request.namespace) {
      request.command.$db ??= request.namespace.split('.')[0];
    }
    let reply: Document;
    if (isHandshake(request.command)) {
      reply = runCommand(this.state, request.command, connectionId, request.kind === 'query');
    } else {
      const delay = takeOne(this.delays);
      if (delay) await sleep(delay.ms);
      if (generation !== this.generation || socket.destroyed) return; // stopped meanwhile: never executed
      const failure = takeOne(this.failures);
      if (failure) {
        const { code, errmsg, codeName, errorLabels } = failure.spec;
        reply = { ok: 0, code, codeName: codeName ?? 'InjectedFailure', errmsg: errmsg ?? `injected failure ${code}`, ...(errorLabels ? { errorLabels } : {}) };
      } else {
        const name = commandName(request.command);
        this.commandCounts.set(name, (this.commandCounts.get(name) ?? 0) + 1);
        reply = runCommand(this.state, request.command, connectionId, false);
      }
    }
    this.send(socket, request, reply);
  }

  private send(socket: net.Socket, request: Request, reply: Document): void {
    if (request.moreToCome || socket.destroyed) return;
    const bytes = request.kind === 'query' ? encodeOpReply(request.header.requestId, reply) : encodeOpMsg(request.header.requestId, reply);
    socket.write(bytes);
  }
}

function takeOne<T extends { count: number }>(queue: T[]): T | undefined {
  const head = queue[0];
  if (!head) return undefined;
  head.count--;
  if (head.count <= 0) queue.shift();
  return head;
}
