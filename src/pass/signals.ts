// SIGINT/SIGTERM during a pass: the first stops new work and drains, the second aborts in-flight work.

export interface SignalWatch {
  /** The first signal received, if any. */
  readonly received: NodeJS.Signals | null;
  /** Aborted on the second signal: in-flight work should stop. */
  readonly abortSignal: AbortSignal;
  dispose(): void;
}

export function watchSignals(options: { onFirst?: (signal: NodeJS.Signals) => void; onSecond?: (signal: NodeJS.Signals) => void } = {}): SignalWatch {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  const handler = (signal: NodeJS.Signals): void => {
    if (received === null) {
      received = signal;
      options.onFirst?.(signal);
    } else if (!controller.signal.aborted) {
      options.onSecond?.(signal);
      controller.abort(new Error(`aborted by a second signal (${signal})`));
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get received() {
      return received;
    },
    abortSignal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
