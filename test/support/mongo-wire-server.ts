// A MongoDB-wire-compatible test server (OP_MSG + legacy OP_QUERY handshake) with fault hooks, so the real driver runs over TCP.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ObjectId, type Document } from 'bson';
import type { ReplicaSetInfo } from './mongo-wire/admin.js';
import { commandName, isHandshake, retryKey, runCommand } from './mongo-wire/commands.js';
import { upsertMissesNow, UPSERT_PROBE_MISSED } from './mongo-wire/crud.js';
import { MessageReader, decodeMessage, encodeOpMsg, encodeOpReply, type Request } from './mongo-wire/protocol.js';
import { toNumber, WireState } from './mongo-wire/state.js';

export interface FailSpec {
  /** Only commands of this name (lower case, e.g. 'listindexes') fail; others pass by. Default: any command. */
  command?: string;
  code: number;
  errmsg?: string;
  codeName?: string;
  errorLabels?: string[];
}

export interface MongoWireServerOptions {
  host?: string;
  /** 0 (default) picks a free port; restart() reuses whatever port was chosen. */
  port?: number;
  /** Answer hello as a standalone mongod instead of a one-member replica set (then drivers do not retry writes). */
  standalone?: boolean;
}

/** Latency mode: every command waits a random time in [minMs, maxMs] before it runs, so commands of concurrent clients interleave. */
export interface Latency {
  minMs: number;
  maxMs: number;
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
  private processId = new ObjectId();
  private nextConnectionId = 1;
  private delays: Array<{ count: number; ms: number }> = [];
  private failures: Array<{ count: number; spec: FailSpec }> = [];
  private lostReplies: Array<{ count: number }> = [];
  private latency: Latency | null = null;
  private handshakeDelayMs = 0;
  private readonly standalone: boolean;
  /** Retryable writes that arrived a second time and got the first attempt's reply without running again. */
  retriedWrites = 0;
  /** Bytes of commands received and replies sent (handshakes included), e.g. to check that projections keep big documents home. */
  bytesIn = 0;
  bytesOut = 0;

  private constructor(options: MongoWireServerOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.boundPort = options.port ?? 0;
    this.standalone = options.standalone === true;
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

  /** The next `n` commands run, but their connection is cut before the reply is sent (the client cannot know the outcome). */
  dropAfterNext(n: number): void {
    this.lostReplies.push({ count: n });
  }

  /**
   * Latency mode (null turns it off). Besides the random delay, an upsert that matches nothing when it arrives waits and
   * then inserts without looking again, as concurrent upserts race on mongod: only a unique index stops a duplicate.
   */
  setLatency(latency: Latency | null): void {
    this.latency = latency;
  }

  /** Every handshake (hello / isMaster) waits `ms` before its reply, as on a loaded mongod or client host; 0 turns it off. */
  delayHandshakes(ms: number): void {
    this.handshakeDelayMs = ms;
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
    this.processId = new ObjectId();
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
    this.bytesIn += message.length;
    const request = decodeMessage(message);
    if (request.kind === 'query' && request.namespace) {
      request.command.$db ??= request.namespace.split('.')[0];
    }
    let reply: Document;
    const rs = this.replicaSet();
    if (isHandshake(request.command)) {
      if (this.handshakeDelayMs > 0) await sleep(this.handshakeDelayMs);
      reply = runCommand(this.state, request.command, connectionId, request.kind === 'query', rs);
    } else {
      const arrived = Date.now();
      const delay = takeOne(this.delays);
      if (delay) await sleep(delay.ms);
      if (this.latency) {
        const missed = upsertMissesNow(this.state, request.command);
        await sleep(this.latency.minMs + Math.random() * (this.latency.maxMs - this.latency.minMs));
        if (missed !== false) request.command[UPSERT_PROBE_MISSED] = missed;
      }
      if (generation !== this.generation || socket.destroyed) return; // stopped meanwhile: never executed
      const failure = takeOne(this.failures, (f) => f.spec.command === undefined || f.spec.command === commandName(request.command));
      const maxTimeMS = toNumber(request.command.maxTimeMS);
      if (!failure && maxTimeMS !== undefined && maxTimeMS > 0 && Date.now() - arrived > maxTimeMS) {
        // A command held up longer than its maxTimeMS (delayNext, latency mode) fails as on a stalled mongod.
        reply = { ok: 0, code: 50, codeName: 'MaxTimeMSExpired', errmsg: 'operation exceeded time limit' };
      } else if (failure) {
        const { code, errmsg, codeName, errorLabels } = failure.spec;
        reply = { ok: 0, code, codeName: codeName ?? 'InjectedFailure', errmsg: errmsg ?? `injected failure ${code}`, ...(errorLabels ? { errorLabels } : {}) };
      } else {
        const name = commandName(request.command);
        this.commandCounts.set(name, (this.commandCounts.get(name) ?? 0) + 1);
        const key = retryKey(request.command);
        if (key !== undefined && this.state.retryableReply(key)) this.retriedWrites++;
        reply = runCommand(this.state, request.command, connectionId, false, rs);
        if (takeOne(this.lostReplies)) {
          socket.destroy();
          return;
        }
      }
    }
    this.send(socket, request, reply);
  }

  private replicaSet(): ReplicaSetInfo | null {
    return this.standalone ? null : { setName: 'daqflow-test', me: `${this.host}:${this.boundPort}`, processId: this.processId };
  }

  private send(socket: net.Socket, request: Request, reply: Document): void {
    if (request.moreToCome || socket.destroyed) return;
    const bytes = request.kind === 'query' ? encodeOpReply(request.header.requestId, reply) : encodeOpMsg(request.header.requestId, reply);
    this.bytesOut += bytes.length;
    socket.write(bytes);
  }
}

function takeOne<T extends { count: number }>(queue: T[], applies: (head: T) => boolean = () => true): T | undefined {
  const head = queue[0];
  if (!head || !applies(head)) return undefined;
  head.count--;
  if (head.count <= 0) queue.shift();
  return head;
}
