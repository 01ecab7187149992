// createLogger: line formats on a TTY and under cron, levels, the log file, and secrets that never get out.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, type LoggerOptions } from '../../src/log/logger.js';
import { memoryLogger, nullLogger } from '../../src/log/memory.js';

const ANSI = /\x1b\[[0-9;]*m/g;
const at = new Date('2026-11-21T06:00:03.123Z');

function capture(): { stream: Writable; text: () => string; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const text = () => chunks.join('');
  return { stream, text, lines: () => text().split('\n').filter((l) => l !== '') };
}

function logDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-'));
}

function make(extra: Partial<LoggerOptions> = {}) {
  const out = capture();
  const logger = createLogger({ level: 'info', stream: out.stream, tty: false, now: () => at, hostname: 'daq01', pid: 4242, ...extra });
  return { logger, out };
}

describe('logger line formats', () => {
  it('writes one plain timestamped line per record when not on a TTY', () => {
    const { logger, out } = make({ command: 'import' });
    logger.info('run 012100 imported', { run: 12100, duration_s: 0.4 });
    expect(out.text()).toBe('2026-11-21T06:00:03.123Z INFO  [import] run 012100 imported run=12100 duration_s=0.4\n');
  });

  it('writes short local-time lines on a TTY, without repeating what the message says', () => {
    const local = new Date(2026, 10, 21, 12, 0, 1);
    const { logger, out } = make({ command: 'import', tty: true, color: true, now: () => local });
    logger.info('run 012100 imported', { run: 12100, duration_s: 0.4 });
    logger.warn('slow disk', { free_gb: 3 });
    expect(out.text()).toMatch(ANSI);
    expect(out.lines().map((l) => l.replace(ANSI, ''))).toEqual(['12:00:01 INFO  import: run 012100 imported (0.4 s)', '12:00:01 WARN  import: slow disk free_gb=3']);
  });

  it('uses no ANSI codes when not on a TTY', () => {
    const { logger, out } = make({ color: true });
    logger.error('boom');
    expect(out.text()).not.toMatch(/\x1b/);
  });

  it('quotes field values with spaces and keeps every record on one line', () => {
    const { logger, out } = make();
    logger.warn('first line\nsecond line\r\x1b[31m', { reason: 'disk full\nreally', path: '/a b', empty: '', error: new Error('bad\nthing') });
    expect(out.lines()).toEqual([
      '2026-11-21T06:00:03.123Z WARN  first line\\nsecond line\\r\\x1b[31m reason="disk full\\nreally" path="/a b" empty="" error="bad\\nthing"',
    ]);
  });

  it('adds the fields bound with child() to every record', () => {
    const { logger, out } = make();
    logger.child({ stage: 'import' }).child({ run: 5 }).info('done', { n: 1 });
    expect(out.lines()[0]).toMatch(/ done stage=import run=5 n=1$/);
  });
});

describe('logger levels', () => {
  it('leaves out debug at level info and shows it with verbose', () => {
    const quietish = make();
    quietish.logger.debug('details');
    expect(quietish.out.text()).toBe('');
    const verbose = make({ verbose: true });
    verbose.logger.debug('details');
    expect(verbose.out.lines()).toEqual([expect.stringContaining('DEBUG details')]);
  });

  it('with quiet shows only warnings and errors on the stream, while the file still gets info', async () => {
    const dir = logDir();
    const { logger, out } = make({ quiet: true, file: { dir, maxBytes: 1e6, maxFiles: 2 } });
    logger.info('imported');
    logger.warn('careful');
    logger.error('failed');
    await logger.close();
    expect(out.lines().map((l) => l.slice(25))).toEqual(['WARN  careful', 'ERROR failed']);
    const file = fs.readFileSync(path.join(dir, 'daqflow.log'), 'utf8');
    expect(file.split('\n').filter(Boolean)).toHaveLength(3);
    expect(file).toContain('INFO  daq01[4242] imported');
  });

  it('respects a configured level of warn', () => {
    const { logger, out } = make({ level: 'warn' });
    logger.info('not shown');
    logger.warn('shown');
    expect(out.lines()).toHaveLength(1);
  });
});

describe('logger file', () => {
  it('writes the plain form with host and pid to the file even on a TTY', async () => {
    const dir = logDir();
    const { logger } = make({ tty: true, command: 'migrate', file: { dir, name: 'ops.log', maxBytes: 1e6, maxFiles: 2 } });
    logger.info('uploaded', { run: 7 });
    await logger.close();
    expect(fs.readFileSync(path.join(dir, 'ops.log'), 'utf8')).toBe('2026-11-21T06:00:03.123Z INFO  daq01[4242] [migrate] uploaded run=7\n');
  });

  it('keeps logging to the stream when the log folder cannot be created', () => {
    const dir = logDir();
    fs.writeFileSync(path.join(dir, 'not-a-dir'), '');
    const { logger, out } = make({ file: { dir: path.join(dir, 'not-a-dir', 'logs'), maxBytes: 1e6, maxFiles: 2 } });
    logger.info('still here');
    expect(out.lines()[0]).toContain('WARN  log file disabled:');
    expect(out.lines()[1]).toContain('still here');
  });
});

describe('logger redaction', () => {
  const password = 'Hunter2-smtp';
  const mongo = 'mongodb://daq:m0ngoPa55@db1.example.org:27017/admin';
  const webhook = 'https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX';

  it('never writes a configured secret, URI credentials or a Slack webhook to the stream or the file', async () => {
    const dir = logDir();
    const { logger, out } = make({ secrets: [password], file: { dir, maxBytes: 1e6, maxFiles: 2 } });
    logger.info(`smtp login with ${password}`, { password, uri: mongo });
    logger.error(`cannot post to ${webhook}`, { cause: `connect ${mongo} failed`, nested: { pw: password } });
    logger.warn('query string', { url: 'https://x.example.org/api?token=abc123def&x=1', line: 'password=letmein now' });
    await logger.close();
    const file = fs.readFileSync(path.join(dir, 'daqflow.log'), 'utf8');
    for (const text of [out.text(), file]) {
      for (const secret of [password, 'm0ngoPa55', 'XXXXsecretXXXX', 'abc123def', 'letmein']) expect(text).not.toContain(secret);
      expect(text).toContain('mongodb://daq:***@db1.example.org:27017/admin');
      expect(text).toContain('hooks.slack.com/services/***');
      expect(text).toContain('***');
    }
  });

  it('redacts percent-encoded forms of a configured secret', () => {
    const { logger, out } = make({ secrets: ['p@ss w0rd'] });
    logger.info(`tried ${encodeURIComponent('p@ss w0rd')} and p@ss w0rd`);
    expect(out.text()).not.toContain('w0rd');
  });
});

describe('test loggers', () => {
  it('memoryLogger records entries of itself and its children', () => {
    const log = memoryLogger();
    log.info('a', { x: 1 });
    log.child({ run: 3 }).error('b');
    expect(log.entries.map((e) => [e.level, e.msg, e.fields])).toEqual([
      ['info', 'a', { x: 1 }],
      ['error', 'b', { run: 3 }],
    ]);
    expect(log.messages('error')).toEqual(['b']);
  });

  it('nullLogger accepts everything and writes nothing', async () => {
    const log = nullLogger();
    log.child({ a: 1 }).warn('x');
    await expect(log.close()).resolves.toBeUndefined();
  });
});
