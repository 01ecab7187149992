// The one way daqflow runs external programs: execa with argument arrays, never a shell string.
import { execa, type Options as ExecaOptions } from 'execa';
import { DaqflowError, EXIT } from '../errors.js';

export interface RunResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  input?: string;
  /** Return non-zero exits as results instead of throwing. */
  reject?: boolean;
  signal?: AbortSignal;
}

/** A subprocess failed; keeps the evidence an operator needs. */
export class CommandFailedError extends DaqflowError {
  readonly command: string;
  readonly commandExitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly cwd: string | undefined;
  readonly stdout: string;
  readonly stderrTail: string;

  constructor(fields: {
    command: string;
    exitCode?: number;
    signal?: string;
    timedOut: boolean;
    durationMs: number;
    cwd?: string;
    stdout: string;
    stderr: string;
    notFound?: boolean;
    cause?: unknown;
  }) {
    const tail = tailLines(fields.stderr || fields.stdout, 5);
    const reason = fields.notFound
      ? 'program not found (is it installed and on PATH?)'
      : fields.timedOut
        ? `timed out after ${fields.durationMs} ms`
        : fields.signal
          ? `killed with ${fields.signal}`
          : `exited with code ${fields.exitCode}`;
    super(`${fields.command}: ${reason}${tail ? ` — ${tail.replace(/\n/g, ' | ')}` : ''}`, {
      exitCode: EXIT.runsFailed,
      cause: fields.cause,
    });
    this.command = fields.command;
    this.commandExitCode = fields.exitCode;
    this.signal = fields.signal;
    this.timedOut = fields.timedOut;
    this.durationMs = fields.durationMs;
    this.cwd = fields.cwd;
    this.stdout = fields.stdout;
    this.stderrTail = tail;
    this.notFound = fields.notFound ?? false;
  }

  readonly notFound: boolean;
}
Object.defineProperty(CommandFailedError.prototype, 'name', { value: 'CommandFailedError', enumerable: false });

export function tailLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** Shell-quote one word for display or for job scripts ('…' with embedded quotes escaped). */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_\-+=.,/:@%]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function escapeCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map(shellQuote).join(' ');
}

export async function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const command = escapeCommand(file, args);
  const started = performance.now();
  const execaOptions: ExecaOptions = {
    cwd: options.cwd,
    env: options.env,
    timeout: options.timeoutMs,
    input: options.input,
    reject: false,
    stripFinalNewline: true,
    cancelSignal: options.signal,
  };
  const result = await execa(file, [...args], execaOptions);
  const durationMs = Math.round(performance.now() - started);
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  const notFound = (result as { code?: string }).code === 'ENOENT';
  if (result.failed && (options.reject ?? true)) {
    throw new CommandFailedError({
      command,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      durationMs,
      cwd: options.cwd,
      stdout,
      stderr,
      notFound,
      cause: result.cause,
    });
  }
  return { command, exitCode: result.exitCode ?? -1, stdout, stderr, durationMs };
}
