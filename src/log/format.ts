// One log record → one line: plain (cron, files) `ISO LEVEL [command] msg k=v` or short TTY form `HH:MM:SS LEVEL command: msg`.
import { errorMessage } from '../errors.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];
export const levelRank = (level: Level): number => LEVELS.indexOf(level);

export interface LogRecord {
  time: Date;
  level: Level;
  msg: string;
  fields: Record<string, unknown>;
  command?: string;
}

/** Escape newlines and other control characters so a record never spans lines or moves the cursor. */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

export function formatValue(value: unknown): string {
  let text: string;
  if (value instanceof Error) text = errorMessage(value);
  else if (value instanceof Date) text = Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  else if (typeof value === 'string') text = value;
  else if (value === undefined) text = 'undefined';
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null) text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  if (text === '' || /[\s"=\u0000-\u001f\u007f]/.test(text)) return JSON.stringify(text);
  return text;
}

export function formatFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${escapeControl(k).replace(/[\s=]/g, '_')}=${formatValue(v)}`)
    .join(' ');
}

const pad = (level: Level) => level.toUpperCase().padEnd(5);

/** `2026-11-21T06:00:03.123Z INFO  [import] run 012100 imported run=12100 duration_s=0.4`; `origin` (host[pid]) for files. */
export function formatPlain(record: LogRecord, origin?: string): string {
  const parts = [record.time.toISOString(), pad(record.level)];
  if (origin) parts.push(origin);
  if (record.command) parts.push(`[${escapeControl(record.command)}]`);
  parts.push(escapeControl(record.msg));
  const fields = formatFields(record.fields);
  if (fields) parts.push(fields);
  return parts.join(' ');
}

const COLORS: Record<Level, string> = { debug: '\x1b[90m', info: '\x1b[36m', warn: '\x1b[33m', error: '\x1b[31m' };
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

function clock(time: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(time.getHours())}:${two(time.getMinutes())}:${two(time.getSeconds())}`;
}

/** A field whose value the message already says (run=12100 in "run 012100 imported") is not repeated on a terminal. */
function saidInMessage(msg: string, value: unknown): boolean {
  if (typeof value !== 'number' && typeof value !== 'string') return false;
  const text = String(value);
  if (text === '') return false;
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w.])0*${escaped}($|[^\\w])`).test(msg);
}

/** `12:00:01 INFO  import: run 012100 imported (0.4 s)`; colour only when `color`. */
export function formatTty(record: LogRecord, color: boolean): string {
  const { duration_s: duration, ...rest } = record.fields;
  const shown = Object.fromEntries(Object.entries(rest).filter(([, v]) => !saidInMessage(record.msg, v)));
  const paint = (code: string, text: string) => (color ? `${code}${text}${RESET}` : text);
  let line = `${paint(DIM, clock(record.time))} ${paint(COLORS[record.level], pad(record.level))} `;
  if (record.command) line += `${escapeControl(record.command)}: `;
  line += escapeControl(record.msg);
  if (typeof duration === 'number') line += ` (${duration} s)`;
  else if (duration !== undefined) shown.duration_s = duration;
  const fields = formatFields(shown);
  if (fields) line += ` ${paint(DIM, fields)}`;
  return line;
}
