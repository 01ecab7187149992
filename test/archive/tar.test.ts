// The ustar writer is deterministic and readable by GNU tar; the reader round-trips it and skips what it is not asked to keep.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parseTar, tarSize, tarStream, type TarEntry } from '../../src/archive/index.js';
import { makeTmpDir } from '../support/tmp.js';

const bufferEntry = (name: string, content: Buffer): TarEntry => ({ name, size: content.length, open: () => Readable.from([content]) });

const files: Array<[string, Buffer]> = [
  ['012100/daqflow-archive.json', Buffer.from('{"run": 12100}\n')],
  ['012100/record/boot.fcl', Buffer.from('a: 1\n'.repeat(300))],
  ['012100/data/012100-raw_records-abcdefghij/' + 'raw_records-abcdefghij-000000'.padEnd(90, 'x'), crypto.randomBytes(70_000)],
  ['012100/empty.txt', Buffer.alloc(0)],
];

async function bytesOf(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

describe('tarStream', () => {
  it('writes the same bytes for the same files, and exactly tarSize of them', async () => {
    const a = await bytesOf(tarStream(files.map(([n, c]) => bufferEntry(n, c))));
    const b = await bytesOf(tarStream(files.map(([n, c]) => bufferEntry(n, c))));
    expect(a.equals(b)).toBe(true);
    expect(a.length).toBe(tarSize(files.map(([, c]) => c.length)));
  });

  it('is read by GNU tar with the names (long ones split into the ustar prefix) and contents', async () => {
    const dir = makeTmpDir();
    const file = path.join(dir, 'blob.tar');
    fs.writeFileSync(file, await bytesOf(tarStream(files.map(([n, c]) => bufferEntry(n, c)))));
    const listed = await execa('tar', ['-tf', file]);
    expect(listed.stdout.split('\n')).toEqual(files.map(([n]) => n));
    await execa('tar', ['-xf', file, '-C', dir]);
    for (const [name, content] of files) expect(fs.readFileSync(path.join(dir, name)).equals(content)).toBe(true);
  });

  it('fails when a file yields fewer bytes than announced (it changed while being archived)', async () => {
    const entry: TarEntry = { name: 'x/a.json', size: 10, open: () => Readable.from([Buffer.from('short')]) };
    await expect(bytesOf(tarStream([entry]))).rejects.toThrow('x/a.json: expected 10 bytes, read 5');
  });

  it('refuses names that climb out of the archive', async () => {
    await expect(bytesOf(tarStream([bufferEntry('../etc/passwd', Buffer.from('x'))]))).rejects.toThrow(/without empty or '\.\.' parts/);
  });
});

describe('parseTar', () => {
  it('returns every entry, with the content of the kept ones only, from a stream cut into odd pieces', async () => {
    const whole = await bytesOf(tarStream(files.map(([n, c]) => bufferEntry(n, c))));
    const pieces = [];
    for (let i = 0; i < whole.length; i += 777) pieces.push(whole.subarray(i, i + 777));
    const entries = await parseTar(Readable.from(pieces), (name) => !name.includes('/data/'));
    expect(entries.map((e) => [e.name, e.size])).toEqual(files.map(([n, c]) => [n, c.length]));
    expect(entries[1]!.content!.equals(files[1]![1])).toBe(true);
    expect(entries[2]!.content).toBeUndefined();
  });

  it('reads what GNU tar wrote', async () => {
    const dir = makeTmpDir();
    fs.mkdirSync(path.join(dir, 'in'));
    fs.writeFileSync(path.join(dir, 'in', 'run.json'), '{"a": 1}');
    await execa('tar', ['--format=ustar', '-cf', path.join(dir, 'gnu.tar'), '-C', dir, 'in/run.json']);
    const entries = await parseTar(fs.createReadStream(path.join(dir, 'gnu.tar')), () => true);
    expect(entries.filter((e) => e.size > 0).map((e) => [e.name, e.content!.toString()])).toEqual([['in/run.json', '{"a": 1}']]);
  });

  it('rejects a truncated archive and a file that is not a tar', async () => {
    const whole = await bytesOf(tarStream(files.map(([n, c]) => bufferEntry(n, c))));
    await expect(parseTar(Readable.from([whole.subarray(0, 2048)]), () => false)).rejects.toThrow(/truncated/);
    await expect(parseTar(Readable.from([Buffer.alloc(1024, 65)]), () => false)).rejects.toThrow(/not a tar archive/);
  });
});
