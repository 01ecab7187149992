// While the server runs: a host heartbeat and a microstrax-style liveness document in the monitor collection.
import type { Logger } from '../log/index.js';
import type { RunStore } from '../rundb/index.js';
import { packageVersion } from '../cli/package-info.js';

export interface HeartbeatInfo {
  host: string;
  url: string;
  maxLoadMb: number;
  maxReturnMb: number;
  nDirs: number;
}

export interface HeartbeatLoop {
  /** Writes a final `stopped` heartbeat and stops the timer. */
  stop(): Promise<void>;
}

export async function beatOnce(store: RunStore, info: HeartbeatInfo, state: string): Promise<void> {
  await store.heartbeat({ host: info.host, command: 'serve', pid: process.pid, state, version: packageVersion(), url: info.url });
  if (state !== 'serving') return;
  // microstrax writes this shape to the DAQ's monitor collection every few seconds; DAQ dashboards look for it.
  await store.addMonitorSample({
    host: info.host, pid: process.pid, state: 'hosting microstrax', command: 'serve', url: info.url,
    max_load_mb: info.maxLoadMb, max_return_mb: info.maxReturnMb, context: 'daqflow', n_dirs: info.nDirs,
  });
}

/** Beats now and every `everyS` seconds; a failed beat is logged, never fatal (the data API keeps serving). */
export async function startHeartbeat(store: RunStore, info: HeartbeatInfo, everyS: number, logger: Logger): Promise<HeartbeatLoop> {
  let inFlight: Promise<void> = Promise.resolve();
  const beat = () => {
    inFlight = beatOnce(store, info, 'serving').catch((error: unknown) => logger.warn(`heartbeat to the runs DB failed: ${(error as Error).message}`));
  };
  beat();
  await inFlight;
  const timer = setInterval(beat, everyS * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
      await beatOnce(store, info, 'stopped').catch((error: unknown) => logger.warn(`final heartbeat failed: ${(error as Error).message}`));
    },
  };
}
