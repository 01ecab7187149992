// `daqflow clean` as a real process: a dry run unless --execute, --json summary, metrics like every stage.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { openRunStore } from '../../src/rundb/index.js';
import { startCli } from './import-helpers.js';
import { makeTmpDir } from '../support/tmp.js';
import { age, dataset, type CleanWorld } from './clean-helpers.js';

test('clean reports without --execute, acts with it, and writes its Prometheus file', async () => {
  const dir = makeTmpDir();
  const prom = path.join(dir, 'prom');
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, `work_dir: ${dir}/work\nhost: eb1\nmetrics:\n  prometheus_dir: ${prom}\n`);
  const config = configSchema.parse({ work_dir: `${dir}/work`, host: 'eb1' });
  const store = await openRunStore(config);
  await store.upsertRun({ number: 3, name: '000003' });
  await store.close();
  const strax = path.join(dir, 'work', 'strax_data');
  const stray = dataset({ strax } as CleanWorld, 3, 'peaklets', 'abcdef', 1000);
  age(stray, 48);

  const dry = await startCli(['clean', '--config', configFile, '--json']).done;
  expect(dry.code, dry.stderr).toBe(0);
  const summary = JSON.parse(dry.stdout);
  expect(summary).toMatchObject({ stage: 'clean', dry_run: true, clean: { quarantined: 1, actions: [{ run: 3, rule: 'unregistered', action: 'quarantine', location: stray }] } });
  expect(fs.existsSync(stray)).toBe(true);
  expect(fs.existsSync(prom)).toBe(false); // a dry run reports no metrics

  const both = await startCli(['clean', '--config', configFile, '--execute', '--dry-run']).done;
  expect(both.code).toBe(3);
  expect(both.stderr).toContain('choose --execute or --dry-run, not both');

  const real = await startCli(['clean', '--config', configFile, '--execute']).done;
  expect(real.code, real.stderr).toBe(0);
  expect(real.stdout).toContain('1 folders quarantined');
  expect(fs.existsSync(stray)).toBe(false);
  expect(fs.existsSync(path.join(dir, 'work', 'quarantine', 'strax_data', '000003-peaklets-abcdef', 'metadata.json'))).toBe(true);
  expect(fs.readFileSync(path.join(prom, 'daqflow_clean.prom'), 'utf8')).toContain('daqflow_runs_done{stage="clean",host="eb1"} 1');
});
