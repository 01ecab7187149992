// User plugins from `processing.plugins`: registered next to the reference chain, run inline and in worker threads.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { hitDtype } from '../../src/strax/dtype/standard.js';
import { layoutOf } from '../../src/strax/storage/chunk-reader.js';
import { DataDirectory } from '../../src/strax/storage/data-directory.js';
import { registryWithPlugins } from '../../src/strax/engine/user-plugins.js';
import { makeTmpDir } from '../support/tmp.js';
import { RUN, cli, makeLiveRun, processLive, rowsOf } from './helpers.js';

const MODULE = path.resolve(import.meta.dirname, 'user-plugin/hits-per-channel.mjs');

/** Per-channel hit counts straight from the stored hits (the expectation). */
function countHits(hits: Uint8Array): Map<number, number> {
  const view = new RecordView(hitDtype(), hits);
  const counts = new Map<number, number>();
  for (let i = 0; i < view.length; i++) counts.set(Number(view.get(i, 'channel')), (counts.get(Number(view.get(i, 'channel'))) ?? 0) + 1);
  return counts;
}

async function summed(storage: string): Promise<Map<number, number>> {
  const ds = new DataDirectory(storage).find(RUN, 'hits_per_channel');
  const view = new RecordView(layoutOf(ds), await rowsOf(storage, 'hits_per_channel'));
  const counts = new Map<number, number>();
  for (let i = 0; i < view.length; i++) counts.set(Number(view.get(i, 'channel')), (counts.get(Number(view.get(i, 'channel'))) ?? 0) + Number(view.get(i, 'n_hits')));
  return counts;
}

describe('user plugins (processing.plugins)', () => {
  let live: string;
  beforeAll(async () => {
    live = await makeLiveRun({ sizeMb: 3, chunkMb: 1 });
  });

  it('registers a module plugin next to the reference chain and computes it inline', async () => {
    const storage = makeTmpDir();
    const registry = await registryWithPlugins([MODULE]);
    expect(registry.dataTypes()).toContain('hits_per_channel');
    expect(registry.dataTypes()).toContain('event_info');
    await processLive(live, storage, ['hits_per_channel', 'hits'], { registry });
    expect(await summed(storage)).toEqual(countHits(await rowsOf(storage, 'hits')));
  });

  it('runs it in worker threads from the config key, with its option in the lineage (straxer CLI, 2 workers)', async () => {
    const cwd = makeTmpDir();
    fs.writeFileSync(path.join(cwd, 'config.yaml'), `processing:\n  plugins: [${JSON.stringify(MODULE)}]\n`);
    const run = (store: string, extra: string[]) =>
      cli('straxer', [RUN, '-t', 'hits_per_channel', '-t', 'hits', '--live', live, '--storage', path.join(cwd, store), '--workers', '2', '--config', path.join(cwd, 'config.yaml'), '--json', ...extra], cwd);
    const r = run('a', []);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).workers).toBe(2);
    expect(await summed(path.join(cwd, 'a'))).toEqual(countHits(await rowsOf(path.join(cwd, 'a'), 'hits')));
    const longer = run('b', ['--option', 'min_hit_length=3']);
    expect(longer.code, longer.stderr).toBe(0);
    const lineage = new DataDirectory(path.join(cwd, 'b')).find(RUN, 'hits_per_channel').metadata!.lineage as Record<string, unknown[]>;
    expect(lineage.hits_per_channel![0]).toBe('HitsPerChannel');
    expect(Number((lineage.hits_per_channel![2] as Record<string, unknown>).min_hit_length)).toBe(3);
    const fewer = [...(await summed(path.join(cwd, 'b'))).values()].reduce((a, b) => a + b, 0);
    const all = [...(await summed(path.join(cwd, 'a'))).values()].reduce((a, b) => a + b, 0);
    expect(fewer).toBeLessThan(all);
  });

  it('lists the plugins of processing.plugins with --list-targets', () => {
    const cwd = makeTmpDir();
    fs.writeFileSync(path.join(cwd, 'config.yaml'), `processing:\n  plugins: [${JSON.stringify(MODULE)}]\n`);
    const r = cli('straxer', ['--list-targets', '--json', '--config', path.join(cwd, 'config.yaml')], cwd);
    expect(r.code, r.stderr).toBe(0);
    const targets = JSON.parse(r.stdout).targets as { data_type: string; plugin: string; depends_on: string[] }[];
    expect(targets.find((t) => t.data_type === 'hits_per_channel')).toMatchObject({ plugin: 'HitsPerChannel', depends_on: ['hits'] });
    expect(targets.map((t) => t.data_type)).toContain('lone_hits');
    const without = cli('straxer', ['--list-targets', '--json'], makeTmpDir());
    expect((JSON.parse(without.stdout).targets as { data_type: string }[]).map((t) => t.data_type)).not.toContain('hits_per_channel');
  });

  it('names the module when it cannot be loaded or exports no plugin', async () => {
    await expect(registryWithPlugins(['/nonexistent/plugin.mjs'])).rejects.toThrow('/nonexistent/plugin.mjs');
    await expect(registryWithPlugins([path.resolve(import.meta.dirname, 'helpers.ts')])).rejects.toThrow(/exports no plugin class|cannot load/);
  });
});
