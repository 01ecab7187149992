// The error family: every failure that reaches the CLI carries its exit code and a one-line message.
export const EXIT = {
  ok: 0,
  runsFailed: 1,
  internal: 2,
  config: 3,
  serviceUnavailable: 4,
  lockBusy: 75,
  sigint: 130,
  sigterm: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface ErrorContext {
  run?: string | number;
  stage?: string;
  file?: string;
  option?: string;
  jobId?: string;
  [key: string]: unknown;
}

/** Base of every error daqflow raises on purpose. `shortMessage` is the one line an operator sees. */
export class DaqflowError extends Error {
  readonly exitCode: number;
  readonly shortMessage: string;
  readonly context: ErrorContext;

  constructor(shortMessage: string, options: { exitCode?: number; context?: ErrorContext; cause?: unknown } = {}) {
    super(shortMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.shortMessage = shortMessage;
    this.exitCode = options.exitCode ?? EXIT.internal;
    this.context = options.context ?? {};
  }
}
Object.defineProperty(DaqflowError.prototype, 'name', { value: 'DaqflowError', enumerable: false });

/** Configuration or usage error (exit 3). `problems` lists every problem, one line each. */
export class ConfigError extends DaqflowError {
  readonly problems: string[];
  constructor(shortMessage: string, options: { problems?: string[]; context?: ErrorContext; cause?: unknown } = {}) {
    super(shortMessage, { exitCode: EXIT.config, context: options.context, cause: options.cause });
    this.problems = options.problems ?? [shortMessage];
  }
}
Object.defineProperty(ConfigError.prototype, 'name', { value: 'ConfigError', enumerable: false });

/** A required service (runs DB, scheduler, archive) cannot be reached (exit 4). */
export class ServiceUnavailableError extends DaqflowError {
  constructor(shortMessage: string, options: { context?: ErrorContext; cause?: unknown } = {}) {
    super(shortMessage, { exitCode: EXIT.serviceUnavailable, ...options });
  }
}
Object.defineProperty(ServiceUnavailableError.prototype, 'name', { value: 'ServiceUnavailableError', enumerable: false });

/** errno codes of a write that failed because the file system is full (or the user's quota is used up). */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/** True when `error` is a Node system error saying the disk (or quota) is full. */
export function isDiskFull(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && DISK_FULL_CODES.has((error as NodeJS.ErrnoException).code ?? '');
}

/**
 * A write failed because its disk is full (exit 1 for the run that was writing: it is retried by later passes).
 * What was half-written has been removed; the message names the folder so the operator knows which disk to free.
 */
export class DiskFullError extends DaqflowError {
  constructor(folder: string, what: string, options: { context?: ErrorContext; cause?: unknown } = {}) {
    super(`no space left on the disk of ${folder} while ${what}: free space there (or point daqflow at another disk); nothing half-written was kept`, {
      exitCode: EXIT.runsFailed, context: { file: folder, ...options.context }, cause: options.cause,
    });
  }
}
Object.defineProperty(DiskFullError.prototype, 'name', { value: 'DiskFullError', enumerable: false });

export interface LockHolder {
  host: string;
  pid: number;
  since: string;
  command?: string;
}

/** Another live pass holds the stage lock (exit 75). */
export class LockBusyError extends DaqflowError {
  readonly holder: LockHolder | undefined;
  /** `kind` names what holds such locks: a stage's `pass`, or `straxer` for a run's processing lock. */
  constructor(stage: string, holder: LockHolder | undefined, lockPath: string, kind = 'pass') {
    const who = holder ? `host ${holder.host}, pid ${holder.pid}, since ${holder.since}` : 'holder unknown';
    super(`${stage}: another ${kind} holds the lock ${lockPath} (${who}); this ${kind} does nothing and exits 75`, {
      exitCode: EXIT.lockBusy,
      context: { stage, file: lockPath },
    });
    this.holder = holder;
  }
}
Object.defineProperty(LockBusyError.prototype, 'name', { value: 'LockBusyError', enumerable: false });

/** A scheduler printed something we could not parse; quotes the expected pattern and the raw output. */
export class SchedulerOutputError extends DaqflowError {
  readonly raw: string;
  constructor(what: string, expected: string, raw: string, context: ErrorContext = {}) {
    super(`${what}: expected ${expected}, got ${JSON.stringify(raw.slice(0, 500))}`, { exitCode: EXIT.internal, context });
    this.raw = raw;
  }
}
Object.defineProperty(SchedulerOutputError.prototype, 'name', { value: 'SchedulerOutputError', enumerable: false });

/** Requested strax data is not stored (or not complete). Repeats the lineage key. */
export class DataNotAvailableError extends DaqflowError {
  constructor(key: string, reason: string, context: ErrorContext = {}) {
    super(`${key}: not available (${reason})`, { exitCode: EXIT.runsFailed, context });
  }
}
Object.defineProperty(DataNotAvailableError.prototype, 'name', { value: 'DataNotAvailableError', enumerable: false });

/** Data already exists where we would write; `at` says where. */
export class DataExistsError extends DaqflowError {
  readonly at: string;
  constructor(key: string, at: string, context: ErrorContext = {}) {
    super(`${key}: already exists at ${at}`, { exitCode: EXIT.runsFailed, context });
    this.at = at;
  }
}
Object.defineProperty(DataExistsError.prototype, 'name', { value: 'DataExistsError', enumerable: false });

/** A bug in daqflow (exit 2). The CLI prints an issue template with versions and the stack. */
export class InternalError extends DaqflowError {
  constructor(shortMessage: string, options: { context?: ErrorContext; cause?: unknown } = {}) {
    super(shortMessage, { exitCode: EXIT.internal, ...options });
  }
}
Object.defineProperty(InternalError.prototype, 'name', { value: 'InternalError', enumerable: false });

/** Thrown when a pass was interrupted by a signal after draining (exit 130 or 143). */
export class InterruptedError extends DaqflowError {
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals, detail: string) {
    super(`interrupted by ${signal}: ${detail}`, { exitCode: signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm });
    this.signal = signal;
  }
}
Object.defineProperty(InterruptedError.prototype, 'name', { value: 'InterruptedError', enumerable: false });

export function isDaqflowError(error: unknown): error is DaqflowError {
  return error instanceof DaqflowError;
}

export function errorMessage(error: unknown): string {
  if (error instanceof DaqflowError) return error.shortMessage;
  if (error instanceof Error) return error.message;
  return String(error);
}
