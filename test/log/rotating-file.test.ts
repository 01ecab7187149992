// RotatingFile: size-based rotation keeps at most maxFiles files, and two processes appending at once lose no line.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RotatingFile } from '../../src/log/rotating-file.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const distLog = path.join(root, 'dist/log/index.js');

function logDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'daqflow-'));
}

function logFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => /^daqflow\.log(\.\d+)?$/.test(f)).sort();
}

function allLines(dir: string): string[] {
  return logFiles(dir).flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l !== ''));
}

describe('RotatingFile', () => {
  it('rotates into .1 and .2 and never keeps more than maxFiles files', () => {
    const dir = logDir();
    const file = new RotatingFile({ dir, maxBytes: 1000, maxFiles: 3 });
    for (let i = 0; i < 200; i++) {
      file.write(`line ${String(i).padStart(4, '0')} ${'x'.repeat(40)}\n`);
      expect(logFiles(dir).length).toBeLessThanOrEqual(3);
    }
    file.close();
    expect(logFiles(dir)).toEqual(['daqflow.log', 'daqflow.log.1', 'daqflow.log.2']);
    for (const f of logFiles(dir)) expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(1000);
    // The newest lines are in the live file, the ones before in .1, and the last line written is kept.
    const live = fs.readFileSync(path.join(dir, 'daqflow.log'), 'utf8');
    const older = fs.readFileSync(path.join(dir, 'daqflow.log.1'), 'utf8');
    expect(live).toContain('line 0199');
    expect(Number(/line (\d+)/.exec(older)![1])).toBeLessThan(Number(/line (\d+)/.exec(live)![1]));
  });

  it('with maxFiles 1 starts the file over instead of keeping old ones', () => {
    const dir = logDir();
    const file = new RotatingFile({ dir, maxBytes: 100, maxFiles: 1 });
    for (let i = 0; i < 20; i++) file.write(`line ${i} ${'y'.repeat(20)}\n`);
    file.close();
    expect(logFiles(dir)).toEqual(['daqflow.log']);
    expect(fs.readFileSync(path.join(dir, 'daqflow.log'), 'utf8')).toContain('line 19 ');
  });

  it('writes a line longer than maxBytes into an empty file rather than dropping it', () => {
    const dir = logDir();
    const file = new RotatingFile({ dir, maxBytes: 10, maxFiles: 2 });
    file.write(`${'z'.repeat(50)}\n`);
    file.close();
    expect(fs.readFileSync(path.join(dir, 'daqflow.log'), 'utf8')).toBe(`${'z'.repeat(50)}\n`);
  });

  it('follows the file when another writer rotated it away', () => {
    const dir = logDir();
    const a = new RotatingFile({ dir, maxBytes: 1e6, maxFiles: 3 });
    a.write('one\n');
    fs.renameSync(path.join(dir, 'daqflow.log'), path.join(dir, 'daqflow.log.1'));
    a.write('two\n');
    a.close();
    expect(fs.readFileSync(path.join(dir, 'daqflow.log'), 'utf8')).toBe('two\n');
    expect(fs.readFileSync(path.join(dir, 'daqflow.log.1'), 'utf8')).toBe('one\n');
  });

  it('loses no line when two processes log 2000 lines each into the same rotating file', async () => {
    expect(fs.existsSync(distLog), `${distLog} is missing; run npx tsc -p tsconfig.json`).toBe(true);
    const dir = logDir();
    const child = `
      import { createLogger } from ${JSON.stringify(distLog)};
      const [dir, name] = process.argv.slice(1);
      const log = createLogger({ level: 'info', quiet: true, tty: false, command: 'stress', file: { dir, maxBytes: 16384, maxFiles: 60 } });
      for (let i = 0; i < 2000; i++) log.info('line', { writer: name, seq: i, pad: 'p'.repeat(20) });
      await log.close();
    `;
    const run = (name: string) =>
      new Promise<number | null>((resolve, reject) => {
        const proc = spawn(process.execPath, ['--input-type=module', '-e', child, dir, name], { stdio: ['ignore', 'ignore', 'inherit'] });
        proc.on('error', reject);
        proc.on('exit', resolve);
      });
    expect(await Promise.all([run('a'), run('b')])).toEqual([0, 0]);
    const lines = allLines(dir);
    expect(logFiles(dir).length).toBeGreaterThan(5);
    expect(logFiles(dir).length).toBeLessThanOrEqual(60);
    expect(lines).toHaveLength(4000);
    for (const writer of ['a', 'b']) {
      const seqs = lines.filter((l) => l.includes(`writer=${writer} `)).map((l) => Number(/seq=(\d+)/.exec(l)![1]));
      expect(new Set(seqs).size).toBe(2000);
    }
    expect(fs.readdirSync(dir).filter((f) => f.includes('lock'))).toEqual([]);
  });
});
