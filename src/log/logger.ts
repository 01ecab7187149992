// The Logger every module receives: levels, bound fields, TTY or plain lines on a stream, a rotated file, secrets redacted.
import os from 'node:os';
import { formatPlain, formatTty, levelRank, type Level, type LogRecord } from './format.js';
import { createRedactor } from '../util/redact.js';
import { RotatingFile } from './rotating-file.js';

export type { Level } from './format.js';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every record (shares the stream and file). */
  child(fields: Record<string, unknown>): Logger;
  close(): Promise<void>;
}

export interface LoggerOptions {
  level: Level;
  /** Only warnings and errors on the stream (the file still gets `level`). */
  quiet?: boolean;
  /** Debug on the stream and in the file. */
  verbose?: boolean;
  /** Default process.stderr. */
  stream?: NodeJS.WritableStream;
  /** Default: the stream's isTTY. A TTY gets short local-time lines, coloured unless NO_COLOR is set. */
  tty?: boolean;
  /** ANSI colours on a TTY; default: on unless NO_COLOR is set. Never used when not a TTY. */
  color?: boolean;
  file?: { dir: string; name?: string; maxBytes: number; maxFiles: number };
  secrets?: string[];
  /** Shown as `[command]` (plain) or `command:` (TTY). */
  command?: string;
  /** Injectable clock and identity, for tests. */
  now?: () => Date;
  hostname?: string;
  pid?: number;
}

interface Sink {
  emit(record: LogRecord): void;
  close(): void;
}

function createSink(options: LoggerOptions): Sink {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? (stream as { isTTY?: boolean }).isTTY === true;
  const color = tty && (options.color ?? !process.env.NO_COLOR);
  const redact = createRedactor(options.secrets ?? []);
  const base = options.verbose ? 'debug' : options.level;
  const streamMin = options.quiet ? Math.max(levelRank(base), levelRank('warn')) : levelRank(base);
  const fileMin = levelRank(base);
  const origin = `${options.hostname ?? os.hostname()}[${options.pid ?? process.pid}]`;

  let file: RotatingFile | null = null;
  const fileFailed = (error: unknown) => {
    file = null;
    stream.write(redact(`${formatPlain({ time: new Date(), level: 'warn', msg: `log file disabled: ${(error as Error).message}`, fields: {} })}\n`));
  };
  if (options.file) {
    try {
      file = new RotatingFile(options.file);
    } catch (error) {
      fileFailed(error);
    }
  }

  return {
    emit(record) {
      const rank = levelRank(record.level);
      if (rank >= streamMin) stream.write(`${redact(tty ? formatTty(record, color) : formatPlain(record))}\n`);
      if (file && rank >= fileMin) {
        try {
          file.write(`${redact(formatPlain(record, origin))}\n`);
        } catch (error) {
          fileFailed(error);
        }
      }
    },
    close() {
      file?.close();
      file = null;
    },
  };
}

class SinkLogger implements Logger {
  constructor(
    private readonly sink: Sink,
    private readonly bound: Record<string, unknown>,
    private readonly command: string | undefined,
    private readonly now: () => Date,
  ) {}

  private log(level: Level, msg: string, fields?: Record<string, unknown>): void {
    this.sink.emit({ time: this.now(), level, msg: String(msg), fields: { ...this.bound, ...fields }, command: this.command });
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.log('error', msg, fields);
  }
  child(fields: Record<string, unknown>): Logger {
    return new SinkLogger(this.sink, { ...this.bound, ...fields }, this.command, this.now);
  }
  async close(): Promise<void> {
    this.sink.close();
  }
}

export function createLogger(options: LoggerOptions): Logger {
  return new SinkLogger(createSink(options), {}, options.command, options.now ?? (() => new Date()));
}
