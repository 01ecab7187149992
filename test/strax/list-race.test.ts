import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirectory } from '../../src/strax/index.js';
import { makeTmpDir } from '../support/tmp.js';

describe('DataDirectory listing while other processes write', () => {
  it('never fails when folders are renamed from _temp or removed during the listing, and always finds the stable dataset', async () => {
    const root = makeTmpDir();
    fs.cpSync(path.resolve('test/fixtures/strax/records_zstd/012345-records-z76fdyl6i3'), path.join(root, '012345-records-z76fdyl6i3'), { recursive: true });
    const child = spawn(process.execPath, [path.resolve('test/strax/churn-child.mjs'), root], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const dir = new DataDirectory(root);
    let listings = 0;
    try {
      const until = Date.now() + 2000;
      while (Date.now() < until) {
        const all = dir.list();
        expect(all.some((d) => d.runId === '012345' && d.state === 'complete')).toBe(true);
        expect(dir.find('012345', 'records').state).toBe('complete');
        listings++;
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      // Wait until the writer is really gone: it would otherwise still write into the folder the cleanup removes.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    }
    expect(listings).toBeGreaterThan(20);
  }, 30_000);
});
