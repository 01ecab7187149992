// Reading a filesystem archive's run numbers back from archive.file_name.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listArchive } from '../../src/report/archive-list.js';
import { makeTmpDir } from '../support/tmp.js';

function tree(files: string[]): string {
  const root = makeTmpDir('daqflow-archive-list-');
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), '');
  }
  return root;
}

const values = { folder: 'run_records', object: 'run_record' };

describe('listArchive', () => {
  it('reads {run} names and ignores md5 sidecars, temp files and other names', async () => {
    const root = tree(['000001.tar', '000001.tar.md5', '.000002.tar.123.456.tmp', '000003.tar', 'notes.txt', '12.tar']);
    expect(await listArchive(root, '{run}.tar', values)).toEqual([1, 3]);
  });

  it('follows folders in the template, with {folder}, {object} and {number}', async () => {
    const root = tree(['run_records/run_record_7.tar', 'run_records/run_record_12.tar', 'other/run_record_8.tar', 'run_records/x/run_record_9.tar']);
    expect(await listArchive(root, '{folder}/{object}_{number}.tar', values)).toEqual([7, 12]);
  });

  it('takes the run number from a folder level when the file name has none', async () => {
    const root = tree(['000005/blob.tar', '000006/blob.tar', '000007/other.tar']);
    expect(await listArchive(root, '{run}/blob.tar', values)).toEqual([5, 6]);
  });
});
