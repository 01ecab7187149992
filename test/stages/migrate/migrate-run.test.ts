// One run's migration against the real nginx WebDAV archive and a filesystem archive: upload, read-back MD5, existing objects, tampering, validation.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { FilesystemTarget } from '../../../src/archive/index.js';
import { ServiceUnavailableError } from '../../../src/errors.js';
import { buildBlob } from '../../../src/stages/migrate/blob.js';
import { migrateRun, type MigrateRunInput } from '../../../src/stages/migrate/migrate-run.js';
import { startFaultProxy } from '../../support/fault-proxy.js';
import { davTarget, startNginx, uniqueFolder, type NginxServer } from '../../support/nginx.js';
import { makeTmpDir } from '../../support/tmp.js';
import { failureOf, fakeRun } from './helpers.js';

let nginx: NginxServer;
beforeAll(async () => {
  nginx = await startNginx();
});

const md5 = (b: Buffer): string => crypto.createHash('md5').update(b).digest('hex');

function input(target: MigrateRunInput['target'], run = fakeRun('012100'), extra: Partial<MigrateRunInput> = {}): MigrateRunInput {
  return { run: 12100, target, recordDir: run.recordDir, recordFiles: run.recordFiles, data: [], overwrite: false, requiredKeys: null, ...extra };
}

describe('buildBlob', () => {
  it('is byte-identical when built twice and lists the header, the record files by name, then the data folder', async () => {
    const run = fakeRun('012100');
    const data = [{ type: 'event_info', dir: run.dataDir }];
    const read = async () => {
      const parts: Buffer[] = [];
      for await (const c of (await buildBlob(12100, run.recordDir, run.recordFiles, data)).open()) parts.push(c as Buffer);
      return Buffer.concat(parts);
    };
    const [a, b] = [await read(), await read()];
    expect(md5(a)).toBe(md5(b));
    const blob = await buildBlob(12100, run.recordDir, run.recordFiles, data);
    expect(a.length).toBe(blob.size);
    const dir = makeTmpDir();
    fs.writeFileSync(path.join(dir, 'b.tar'), a);
    expect((await execa('tar', ['-tf', path.join(dir, 'b.tar')])).stdout.split('\n')).toEqual([
      '012100/daqflow-archive.json',
      '012100/record/boot.fcl',
      '012100/record/metadata.yaml',
      '012100/record/run_record.json',
      '012100/data/012100-event_info-abcdefghij/event_info-abcdefghij-000000',
      '012100/data/012100-event_info-abcdefghij/event_info-abcdefghij-metadata.json',
    ]);
    const concatenated = Buffer.concat(['boot.fcl', 'metadata.yaml', 'run_record.json'].map((f) => fs.readFileSync(path.join(run.recordDir, f))));
    expect(blob.header).toMatchObject({ format: 'daqflow-archive/1', run: 12100, name: '012100', content_md5: md5(concatenated) });
  });

  it('refuses a record file name that leaves the run folder', async () => {
    const run = fakeRun('012100');
    await expect(buildBlob(12100, run.recordDir, ['../../etc/passwd'], [])).rejects.toThrow(/escapes/);
  });
});

describe('migrateRun to nginx WebDAV', () => {
  it('uploads, verifies by reading back, and returns the archive copy', async () => {
    const folder = uniqueFolder('migrate-upload');
    const target = davTarget(nginx, folder);
    const result = await migrateRun(input(target));
    const stored = fs.readFileSync(path.join(nginx.davRoot, folder, '012100.tar'));
    expect(result.action).toBe('uploaded');
    expect(result.copy).toMatchObject({ location: `${nginx.url}/${folder}/012100.tar`, md5: md5(stored), size: stored.length });
  });

  it('counts an existing identical object as success without uploading again', async () => {
    const folder = uniqueFolder('migrate-identical');
    const run = fakeRun('012100');
    await migrateRun(input(davTarget(nginx, folder), run));
    const proxy = await startFaultProxy(nginx.url, () => 'forward');
    try {
      const again = await migrateRun(input(davTarget(nginx, folder, { values: { server: proxy.url, folder, object: 'o' } }), run));
      expect(again.action).toBe('already-archived');
      expect(proxy.log).toEqual([`GET /${folder}/012100.tar -> forwarded`]);
    } finally {
      await proxy.close();
    }
  });

  it('fails on an existing different object, naming both hashes, and leaves it untouched unless overwrite is given', async () => {
    const folder = uniqueFolder('migrate-different');
    const target = davTarget(nginx, folder);
    const other = Buffer.from('an older, different blob');
    await target.put(12100, () => Readable.from([other]));
    const run = fakeRun('012100');
    const local = await buildBlob(12100, run.recordDir, run.recordFiles, []);
    const parts: Buffer[] = [];
    for await (const c of local.open()) parts.push(c as Buffer);
    const error = await failureOf(migrateRun(input(target, run)));
    expect(error.message).toBe(
      `run 012100: the archive holds a different object: archive md5 ${md5(other)} (${other.length} bytes), this blob md5 ${md5(Buffer.concat(parts))} (${local.size} bytes); not overwritten — check both, then pass --overwrite to replace it (${target.locate(12100)})`,
    );
    expect(fs.readFileSync(path.join(nginx.davRoot, folder, '012100.tar')).equals(other)).toBe(true);
    const replaced = await migrateRun(input(target, run, { overwrite: true }));
    expect(replaced.action).toBe('overwritten');
    expect(replaced.copy.md5).toBe(md5(Buffer.concat(parts)));
  });

  it('fails with the reason when the object read back differs from the upload (altered on the server in between)', async () => {
    const folder = uniqueFolder('migrate-tampered');
    const file = path.join(nginx.davRoot, folder, '012100.tar');
    let putDone = false;
    const proxy = await startFaultProxy(nginx.url, (req) => {
      if (req.method === 'PUT') {
        putDone = true;
        return 'forward';
      }
      if (req.method === 'GET' && putDone) return { before: () => fs.appendFileSync(file, 'tampered') };
      return 'forward';
    });
    try {
      const target = davTarget(nginx, folder, { values: { server: proxy.url, folder, object: 'o' } });
      const error = await failureOf(migrateRun(input(target)));
      expect(error.message).toMatch(/^run 012100: read-back differs from the upload: sent md5 [0-9a-f]{32} \((\d+) bytes\), archive returned md5 [0-9a-f]{32} \(\d+ bytes\) \(http:\/\/127\.0\.0\.1:\d+\/migrate-tampered-.*\/012100\.tar\)$/);
      const [, sent, back] = /sent md5 (\w+) .* returned md5 (\w+)/.exec(error.message)!;
      expect(sent).not.toBe(back);
      expect(back).toBe(md5(fs.readFileSync(file)));
    } finally {
      await proxy.close();
    }
  });

  it.each([
    ['without validation', null],
    ['with validation', ['run_number']],
  ])('a read-back cut mid-download (%s) fails as the archive unreachable (exit 4), not as a bad blob', async (_, requiredKeys) => {
    const folder = uniqueFolder('migrate-cut');
    let putDone = false;
    const proxy = await startFaultProxy(nginx.url, (req) => {
      if (req.method === 'PUT') putDone = true;
      return req.method === 'GET' && putDone ? { cutResponseAfter: 20_000 } : 'forward';
    });
    try {
      const target = davTarget(nginx, folder, { values: { server: proxy.url, folder, object: 'o' } });
      const big = fakeRun('012100', { dataBytes: 200_000 });
      const error = await migrateRun(input(target, big, { data: [{ type: 'event_info', dir: big.dataDir }], requiredKeys })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect((error as ServiceUnavailableError).message).toMatch(/^archive: GET .*\/012100\.tar: the connection broke after 20000 bytes of the body/);
      expect(proxy.log.at(-1)).toBe(`GET /${folder}/012100.tar -> cut`);
    } finally {
      await proxy.close();
    }
  });

  it('with validation, accepts a blob holding the required keys and rejects one that lacks them', async () => {
    const target = davTarget(nginx, uniqueFolder('migrate-validate'));
    const ok = await migrateRun(input(target, fakeRun('012100'), { requiredKeys: ['run_number', 'components.tpc.boards', 'end_time'] }));
    expect(ok.action).toBe('uploaded');
    const target2 = davTarget(nginx, uniqueFolder('migrate-validate-missing'));
    const error = await failureOf(migrateRun(input(target2, fakeRun('012100'), { requiredKeys: ['run_number', 'trigger.config'] })));
    expect(error.message).toMatch(/the archived blob failed validation: required run-record key "trigger\.config" is in none of the JSON\/YAML record files/);
  });
});

describe('migrateRun to a filesystem archive', () => {
  it('uploads with a sidecar, then counts the same blob as already archived', async () => {
    const root = makeTmpDir();
    const target = new FilesystemTarget({ root, fileName: '{run}.tar', values: { folder: 'f', object: 'o' } });
    const run = fakeRun('012100');
    const first = await migrateRun(input(target, run, { data: [{ type: 'event_info', dir: run.dataDir }] }));
    expect(first.action).toBe('uploaded');
    expect(fs.readFileSync(path.join(root, '012100.tar.md5'), 'utf8')).toBe(`${first.copy.md5}  012100.tar\n`);
    const second = await migrateRun(input(target, run, { data: [{ type: 'event_info', dir: run.dataDir }] }));
    expect(second).toMatchObject({ action: 'already-archived', copy: { md5: first.copy.md5, size: first.copy.size } });
  });

  it('a put killed between placing the object and writing its sidecar: the next migration finds the object and writes the sidecar (or mends a stale one)', async () => {
    const root = makeTmpDir();
    const target = new FilesystemTarget({ root, fileName: '{run}.tar', values: { folder: 'f', object: 'o' } });
    const run = fakeRun('012100');
    const first = await migrateRun(input(target, run));
    const sidecar = path.join(root, '012100.tar.md5');
    fs.rmSync(sidecar);
    const dry = await migrateRun(input(target, run, { dryRun: true }));
    expect(dry.action).toBe('already-archived');
    expect(fs.existsSync(sidecar), 'a dry run writes nothing').toBe(false);
    expect((await migrateRun(input(target, run))).action).toBe('already-archived');
    expect(fs.readFileSync(sidecar, 'utf8')).toBe(`${first.copy.md5}  012100.tar\n`);
    fs.writeFileSync(sidecar, `${'0'.repeat(32)}  012100.tar\n`);
    await migrateRun(input(target, run));
    expect(fs.readFileSync(sidecar, 'utf8')).toBe(`${first.copy.md5}  012100.tar\n`);
    expect((await execa('md5sum', ['-c', '012100.tar.md5'], { cwd: root })).stdout).toBe('012100.tar: OK');
  });
});
