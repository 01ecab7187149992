// Loggers for tests: nullLogger() drops everything, memoryLogger() keeps every record for assertions.
import type { Level } from './format.js';
import type { Logger } from './logger.js';

export interface LogEntry {
  level: Level;
  msg: string;
  fields: Record<string, unknown>;
  time: Date;
}

export interface MemoryLogger extends Logger {
  /** Every record of this logger and its children, in order. */
  readonly entries: LogEntry[];
  /** Messages, optionally of one level only. */
  messages(level?: Level): string[];
}

export function nullLogger(): Logger {
  const logger: Logger = {
    debug() {},
    info() {},
    warn() {},
    error() {},
    child: () => logger,
    close: async () => {},
  };
  return logger;
}

export function memoryLogger(entries: LogEntry[] = [], bound: Record<string, unknown> = {}): MemoryLogger {
  const log = (level: Level) => (msg: string, fields?: Record<string, unknown>) => {
    entries.push({ level, msg, fields: { ...bound, ...fields }, time: new Date() });
  };
  return {
    entries,
    messages: (level?: Level) => entries.filter((e) => level === undefined || e.level === level).map((e) => e.msg),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (fields) => memoryLogger(entries, { ...bound, ...fields }),
    close: async () => {},
  };
}
