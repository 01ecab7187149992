// report-status finds rechunk's folders as the stage resolves them: the source defaults to storage.write_dir.
import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/index.js';
import { rechunkFolders } from '../../src/report/sources.js';
import { makeTmpDir } from '../support/tmp.js';

const configOf = (object: Record<string, unknown>) => {
  const dir = makeTmpDir();
  return { dir, config: configFromObject({ work_dir: 'work', ...object }, { baseDir: dir, cwd: dir }).config };
};

describe('rechunk folders in the report', () => {
  it('a dest_dir alone rechunks from storage.write_dir', () => {
    const { dir, config } = configOf({ storage: { write_dir: 'work/pre' }, rechunk: { dest_dir: 'work/production' } });
    expect(rechunkFolders(config)).toEqual({ source: `${dir}/work/pre`, dest: `${dir}/work/production` });
  });

  it('in place (no dest_dir, or the source itself) is not tracked by folder names', () => {
    expect(rechunkFolders(configOf({ rechunk: {} }).config)).toBeNull();
    expect(rechunkFolders(configOf({ storage: { write_dir: 'work/pre' }, rechunk: { source_dir: 'work/pre', dest_dir: 'work/pre' } }).config)).toBeNull();
  });
});
