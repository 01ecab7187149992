// The SBND archiver's cron sequence end to end: `daqflow config.yaml --incremental` every tick, then `--retry-failed-migrate`.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startCli, writeRun } from '../import-helpers.js';
import { davTarget, startNginx, uniqueFolder, type NginxServer } from '../../support/nginx.js';
import { makeTmpDir } from '../../support/tmp.js';
import { Readable } from 'node:stream';

let nginx: NginxServer;
beforeAll(async () => {
  nginx = await startNginx();
});

describe('archiver-style cron sequence', () => {
  it('imports and migrates tick by tick, retries a failed migration, and ends with both ledgers at the highest run', async () => {
    const dir = makeTmpDir();
    const source = path.join(dir, 'runs');
    fs.mkdirSync(source);
    const folder = uniqueFolder('cron');
    fs.writeFileSync(path.join(dir, 'config.yaml'), stringify({
      work_dir: 'work',
      host: 'test-host',
      import: { source_dirs: [source] },
      archive: { kind: 'http', url: '{server}/{folder}/{run}.tar', server: nginx.url, folder, username: nginx.username, password_file: nginx.passwordFile, retries: 1, retry_delay_s: 0.05 },
      migrate: { required_keys: ['number', 'detector'] },
    }));
    const tick = async (...flags: string[]) => (await startCli(['config.yaml', ...flags], dir).done);
    const ledger = (stage: string) => JSON.parse(fs.readFileSync(path.join(dir, 'work', 'state', `${stage}.json`), 'utf8'));
    const archived = () => (fs.existsSync(path.join(nginx.davRoot, folder)) ? fs.readdirSync(path.join(nginx.davRoot, folder)).sort() : []);

    for (const run of [1, 2, 3]) writeRun(source, run);
    const first = await tick('--incremental', '--validate');
    expect(first.code, first.stderr).toBe(0);
    expect([ledger('import').last_contiguous_run, ledger('migrate').last_contiguous_run]).toEqual([3, 3]);
    expect(archived()).toEqual(['000001.tar', '000002.tar', '000003.tar']);

    // A gap in the numbers (5 never exists) and a run still being written (7).
    writeRun(source, 4);
    writeRun(source, 6);
    writeRun(source, 7, { ended: false });
    const second = await tick('--incremental');
    expect(second.code, second.stderr).toBe(0);
    expect([ledger('import').last_contiguous_run, ledger('migrate').last_contiguous_run]).toEqual([6, 6]);
    expect(archived()).not.toContain('000007.tar');

    // Run 7 ends; the archive already holds a different object for run 8, so its migration fails.
    fs.writeFileSync(path.join(source, '000007', 'run_record', 'end_of_run.json'), '{"end": "2026-01-01T07:00:00Z"}\n');
    writeRun(source, 8);
    await davTarget(nginx, folder).put(8, () => Readable.from([Buffer.from('left by an older archiver')]));
    const third = await tick('--incremental');
    expect(third.code).toBe(1);
    expect(ledger('import').last_contiguous_run).toBe(8);
    expect(ledger('migrate')).toMatchObject({ last_contiguous_run: 7, failed: { 8: { n_failures: 1 } } });
    expect(ledger('migrate').failed['8'].reason).toMatch(/the archive holds a different object: archive md5 \w+ \(25 bytes\)/);

    // The operator removes the stray object; the archiver's retry invocation finishes the job.
    fs.rmSync(path.join(nginx.davRoot, folder, '000008.tar'));
    const retry = await tick('--retry-failed-migrate');
    expect(retry.code, retry.stderr).toBe(0);
    expect([ledger('import').last_contiguous_run, ledger('migrate').last_contiguous_run]).toEqual([8, 8]);
    expect(ledger('migrate').failed).toEqual({});
    expect(archived()).toEqual(['000001.tar', '000002.tar', '000003.tar', '000004.tar', '000006.tar', '000007.tar', '000008.tar']);

    const quiet = await tick('--incremental');
    expect(quiet.code).toBe(0);
    expect([ledger('import').last_contiguous_run, ledger('migrate').last_contiguous_run]).toEqual([8, 8]);
  });
});
