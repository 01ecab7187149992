// Start `daqflow serve`, keep the heartbeat going, and on SIGTERM/SIGINT drain open requests and stop.
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { workPaths } from '../config/index.js';
import type { Config } from '../config/schema.js';
import { ServiceUnavailableError, ConfigError } from '../errors.js';
import type { Logger } from '../log/index.js';
import { watchSignals } from '../pass/signals.js';
import { DEFAULT_STAGES, openRunStore, type RunStore } from '../rundb/index.js';
import { lz4DecodesInPlace } from '../strax/compress/lz4-into.js';
import { readServeSecret } from './auth.js';
import { DatasetCache } from './dataset-cache.js';
import { startHeartbeat, type HeartbeatLoop } from './heartbeat.js';
import { createLoadQueue, type LoadQueue } from './load-queue.js';
import { createServeMetrics } from './metrics.js';
import { buildServer } from './server.js';

export interface ServeOptions {
  config: Config;
  logger: Logger;
  /** Override serve.host / serve.port. */
  host?: string;
  port?: number;
  /** An open runs DB to use (tests); else one is opened from the config and closed at stop. */
  store?: RunStore;
  /** The dataset cache to use (tests give one with their own clock); else a new one. */
  datasets?: DatasetCache;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  store: RunStore;
  /** The data-load queue (tests hold a slot to observe queueing and timeouts). */
  queue: LoadQueue;
  /** Stop accepting, let open requests finish, final heartbeat, close what was opened. */
  stop(): Promise<void>;
}

export async function startServe(options: ServeOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const serve = { ...config.serve, host: options.host ?? config.serve.host, port: options.port ?? config.serve.port };
  const secret = readServeSecret(serve);
  const roots = workPaths(config).storageDirs.map((d) => path.resolve(d));
  const store = options.store ?? (await openRunStore(config, { logger }));
  const ownStore = options.store === undefined;
  const metrics = createServeMetrics({ store, stages: DEFAULT_STAGES, stateDir: workPaths(config).stateDir });
  const queue = createLoadQueue(serve.max_concurrent_loads, serve.max_queued_loads, metrics.loads);
  const app = buildServer({ config, serve, roots, store, datasets: options.datasets ?? new DatasetCache(), queue, metrics, logger }, { secret });
  let heartbeat: HeartbeatLoop | undefined;
  try {
    await app.listen({ host: serve.host, port: serve.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : serve.port;
    const url = `http://${serve.host.includes(':') ? `[${serve.host}]` : serve.host}:${port}`;
    heartbeat = await startHeartbeat(store, { host: config.host ?? os.hostname(), url, maxLoadMb: serve.max_load_mb, maxReturnMb: serve.max_return_mb, nDirs: roots.length }, serve.heartbeat_s, logger);
    if (!lz4DecodesInPlace()) logger.warn('no WebAssembly memory can be had (a virtual-memory limit? ulimit -v): lz4 chunks are decoded by lz4-napi, several times slower; docs/SERVE.md, "At 3 a.m."');
    logger.info(`serving on ${url} (auth: ${serve.auth}; storage: ${roots.join(', ')}; runs DB: ${store.location})`);
    return {
      url,
      app,
      store,
      queue,
      async stop() {
        await app.close();
        await heartbeat?.stop();
        if (ownStore) await store.close();
      },
    };
  } catch (error) {
    await app.close().catch(() => undefined);
    if (ownStore) await store.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ConfigError(`serve: ${serve.host}:${serve.port} is in use; pick another --port (or stop what listens there)`, { context: { option: 'serve.port' } });
    if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw new ConfigError(`serve: cannot listen on ${serve.host}:${serve.port} (${code}); check --host/--port`, { context: { option: 'serve.host' } });
    if (error instanceof ServiceUnavailableError || error instanceof ConfigError) throw error;
    throw error;
  }
}

/** Serve until SIGTERM or SIGINT; returns the signal after the drain. A second signal cuts open replies short. */
export async function runServe(options: ServeOptions): Promise<NodeJS.Signals> {
  let wake: (signal: NodeJS.Signals) => void = () => undefined;
  const signalled = new Promise<NodeJS.Signals>((resolve) => (wake = resolve));
  let server: RunningServer | undefined;
  const watch = watchSignals({
    onFirst: (signal) => {
      options.logger.info(`${signal}: draining open requests, then stopping (send it again to cut them short)`);
      wake(signal);
    },
    onSecond: () => server?.app.server.closeAllConnections(),
  });
  try {
    server = await startServe(options);
    const signal = await signalled;
    await server.stop();
    options.logger.info('stopped');
    return signal;
  } finally {
    watch.dispose();
  }
}
