import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { ConfigError } from '../../src/errors.js';
import { copyFixture, tempDir } from './fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FOLDER = '012345-records-z76fdyl6i3';

async function readAllError(root: string): Promise<Error> {
  const dir = new DataDirectory(root);
  try {
    const ds = dir.list()[0]!;
    await dir.readAll(ds);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

function editMetadata(root: string, edit: (text: string) => string): string {
  const file = path.join(root, FOLDER, 'records-z76fdyl6i3-metadata.json');
  fs.writeFileSync(file, edit(fs.readFileSync(file, 'utf8')));
  return file;
}

describe('bad input is refused with an error naming the file', () => {
  for (const root of ['records_zstd', 'records_lz4', 'records_bz2', 'records_blosc']) {
    it(`${root}: a truncated chunk file`, async () => {
      const dir = copyFixture(root);
      const chunk = path.join(dir, FOLDER, 'records-z76fdyl6i3-000001');
      fs.writeFileSync(chunk, fs.readFileSync(chunk).subarray(0, 1000));
      const error = await readAllError(dir);
      expect(error.message).toContain(chunk);
      expect(error.name).toBe('DataCorruptedError');
    });

    it(`${root}: a second frame appended to a chunk file`, async () => {
      const dir = copyFixture(root);
      const chunk = path.join(dir, FOLDER, 'records-z76fdyl6i3-000000');
      fs.appendFileSync(chunk, fs.readFileSync(chunk));
      const error = await readAllError(dir);
      expect(error.message).toContain(chunk);
      expect(error.message).toMatch(/follow|second/);
    });

    it(`${root}: metadata with the wrong n`, async () => {
      const dir = copyFixture(root);
      editMetadata(dir, (t) => t.replace('"n": 480', '"n": 479').replace('"nbytes": 123360', '"nbytes": 123103'));
      const error = await readAllError(dir);
      expect(error.message).toContain(path.join(dir, FOLDER, 'records-z76fdyl6i3-000001'));
      expect(error.message).toMatch(/n = 479/);
    });
  }

  it('an unparsable dtype', async () => {
    const dir = copyFixture('records_zstd');
    const file = editMetadata(dir, (t) => t.replace("'<i8'", "'<i8"));
    const error = await readAllError(dir);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/dtype is not a Python literal/);
  });

  it('a missing metadata file', () => {
    const dir = copyFixture('records_zstd');
    fs.rmSync(path.join(dir, FOLDER, 'records-z76fdyl6i3-metadata.json'));
    const ds = new DataDirectory(dir).list()[0]!;
    expect(ds.state).toBe('incomplete');
    expect(ds.reason).toBe('no metadata file');
    expect(() => new DataDirectory(dir).find('012345', 'records')).toThrow(new RegExp(`${FOLDER}: incomplete \\(no metadata file\\)`));
  });

  it('metadata that is not JSON', () => {
    const dir = copyFixture('records_zstd');
    const file = editMetadata(dir, (t) => t.slice(0, 200));
    const ds = new DataDirectory(dir).list()[0]!;
    expect(ds.state).toBe('incomplete');
    expect(ds.reason).toContain(file);
  });

  it('a run id containing "-"', async () => {
    const dir = new DataDirectory(tempDir());
    await expect(dir.save({ runId: '0123-45', dataType: 'records', dtype: "[('time', '<i8')]", lineage: {}, compressor: 'zstd' })).rejects.toThrow(ConfigError);
    await expect(dir.save({ runId: '0123-45', dataType: 'records', dtype: "[('time', '<i8')]", lineage: {}, compressor: 'zstd' })).rejects.toThrow(/run id "0123-45"/);
    expect(() => dir.find('a-b', 'records')).toThrow(/run id "a-b"/);
    expect(fs.readdirSync(dir.root)).toEqual([]);
  });

  it('chunks that do not follow each other, or rows outside the chunk', async () => {
    const dir = copyFixture('records_zstd');
    const file = editMetadata(dir, (t) => t.replace('"start": 1712345678902234560', '"start": 1712345678902234561'));
    expect((await readAllError(dir)).message).toMatch(new RegExp(`${file}: chunk 1 starts at 1712345678902234561 but chunk 0 ended at 1712345678902234560`));
    const dir2 = copyFixture('records_zstd');
    editMetadata(dir2, (t) => t.replace('"end": 1712345678902234560', '"end": 1712345678902174300').replace('"start": 1712345678902234560', '"start": 1712345678902174300'));
    expect((await readAllError(dir2)).message).toMatch(/records-z76fdyl6i3-000000: row \d+ ends at 1712345678902174310, after the chunk end 1712345678902174300/);
  });
});

describe('a killed writer', () => {
  it('leaves only the _temp folder, which lists as still writing', async () => {
    const root = tempDir();
    const child = spawn(process.execPath, [path.join(here, 'writer-child.mjs'), root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b) => String(b).includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`writer exited ${code} before ready: ${stderr} (is dist/ built?)`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const entries = fs.readdirSync(root);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(/^000777-records-[a-z2-7]{10}_temp$/);
    const ds = new DataDirectory(root).list()[0]!;
    expect(ds.state).toBe('writing');
    expect(ds.metadata!.chunks.map((c) => c.n)).toEqual([500, 500]);
    expect(ds.metadata!.writing_ended).toBeUndefined();
    const rows = await new DataDirectory(root).readAll(ds, { allowIncomplete: true });
    expect(rows.length).toBe(1000 * 257);
  });
});

describe('a crashed dataset says what went wrong', () => {
  for (const [writer, exception, reason] of [
    ['daqflow (a JavaScript stack)', 'DataCorruptedError: /live/x: live file is damaged\n    at decode (file:///a.js:1:1)\n    at async main (file:///b.js:2:2)', 'writer failed: DataCorruptedError: /live/x: live file is damaged'],
    ['strax (a Python traceback)', 'Traceback (most recent call last):\n  File "x.py", line 1, in f\nValueError: bad chunk', 'writer failed: ValueError: bad chunk'],
  ] as const) {
    it(`${writer}: the reason is the error's message, not a stack frame`, () => {
      const dir = copyFixture('records_zstd');
      editMetadata(dir, (t) => t.replace(/^\{/, `{"exception": ${JSON.stringify(exception)},`));
      const ds = new DataDirectory(dir).list()[0]!;
      expect(ds.state).toBe('crashed');
      expect(ds.reason).toBe(reason);
    });
  }
});
