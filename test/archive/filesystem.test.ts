// The filesystem target: atomic writes with an MD5 sidecar md5sum accepts, no partial object after a failed write.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { digestOf, FilesystemTarget } from '../../src/archive/index.js';
import { ConfigError, ServiceUnavailableError } from '../../src/errors.js';
import { makeTmpDir } from '../support/tmp.js';

const values = { folder: 'run_records', object: 'run_record' };

describe('FilesystemTarget', () => {
  it('stores an object under its run name with an md5sum sidecar and reads it back', async () => {
    const root = makeTmpDir();
    const target = new FilesystemTarget({ root, fileName: '{folder}/{run}.tar', values });
    const blob = crypto.randomBytes(2_500_000);
    const sent = await target.put(12100, () => Readable.from([blob]));
    const file = path.join(root, 'run_records', '012100.tar');
    expect(target.locate(12100)).toBe(file);
    expect(fs.readFileSync(file).equals(blob)).toBe(true);
    expect(sent).toEqual({ md5: crypto.createHash('md5').update(blob).digest('hex'), size: blob.length });
    await execa('md5sum', ['-c', '012100.tar.md5'], { cwd: path.dirname(file) });
    expect(await digestOf((await target.get(12100))!)).toEqual(sent);
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(['012100.tar', '012100.tar.md5']);
  });

  it('returns null for a run that has no object', async () => {
    const target = new FilesystemTarget({ root: makeTmpDir(), fileName: '{run}.tar', values });
    expect(await target.get(7)).toBeNull();
  });

  it('leaves neither the object nor a temp file when the blob fails mid-write, and keeps the previous object', async () => {
    const root = makeTmpDir();
    const target = new FilesystemTarget({ root, fileName: '{run}.tar', values });
    await target.put(5, () => Readable.from([Buffer.from('old')]));
    async function* failing() {
      yield Buffer.alloc(100_000, 1);
      throw new Error('disk read error in the source');
    }
    await expect(target.put(5, () => Readable.from(failing()))).rejects.toThrow(/writing .*000005\.tar failed: disk read error/);
    expect(fs.readdirSync(root).sort()).toEqual(['000005.tar', '000005.tar.md5']);
    expect(fs.readFileSync(path.join(root, '000005.tar'), 'utf8')).toBe('old');
  });

  it('removes temp files a killed writer left behind', async () => {
    const root = makeTmpDir();
    fs.writeFileSync(path.join(root, '.000009.tar.4242.1700000000000.tmp'), 'partial');
    const target = new FilesystemTarget({ root, fileName: '{run}.tar', values });
    await target.put(9, () => Readable.from([Buffer.from('whole')]));
    expect(fs.readdirSync(root).sort()).toEqual(['000009.tar', '000009.tar.md5']);
  });

  it('says the archive is unreachable (exit 4) when its folder is missing', async () => {
    const target = new FilesystemTarget({ root: path.join(makeTmpDir(), 'not-mounted'), fileName: '{run}.tar', values });
    const error = await target.probe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).exitCode).toBe(4);
    expect((error as Error).message).toMatch(/not-mounted is not usable .*is the archive mounted\?/);
  });

  it('refuses a file name template that escapes the archive folder', () => {
    const target = new FilesystemTarget({ root: makeTmpDir(), fileName: '{folder}/{run}.tar', values: { ...values, folder: '../../etc' } });
    expect(() => target.locate(1)).toThrow(ConfigError);
    expect(() => target.locate(1)).toThrow(/escapes/);
  });
});
