// The streamed MD5 matches md5sum, and digests that fail or never start never keep a process alive.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { digestOf } from '../../src/archive/index.js';
import { makeTmpDir } from '../support/tmp.js';

describe('digestOf', () => {
  it('gives the MD5 md5sum computes, for several streams at once', async () => {
    const dir = makeTmpDir();
    const files = [0, 1, 2].map((i) => path.join(dir, `f${i}`));
    files.forEach((f, i) => fs.writeFileSync(f, crypto.randomBytes(3_000_000 + i)));
    const { stdout } = await execa('md5sum', files);
    const expected = stdout.split('\n').map((line, i) => ({ md5: line.split(' ')[0], size: 3_000_000 + i }));
    expect(await Promise.all(files.map((f) => digestOf(fs.createReadStream(f))))).toEqual(expected);
  });

  it('lets a process exit on its own after digests that finished, failed or never started', async () => {
    const result = await execa(process.execPath, [path.join(import.meta.dirname, 'fixtures/digest-exit.mjs')], { timeout: 30_000 });
    expect(JSON.parse(result.stdout)).toEqual({ ok: { md5: '900150983cd24fb0d6963f7d28e17f72', size: 3 }, failed: 'source failed' });
  });
});
