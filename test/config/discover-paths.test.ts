// Which file loadConfig reads, and how it turns relative paths into absolute ones.
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { workPaths } from '../../src/config/resolve-paths.js';
import { configErrorOf, world } from './helpers.js';

const marker = (name: string) => `rundb:\n  database: ${name}\n`;

describe('config discovery', () => {
  const dir = world({
    'config.yaml': marker('cwd_file'),
    'flag/flag.yaml': marker('flag_file'),
    'env/env.yaml': marker('env_file'),
  });
  const envFile = path.join(dir, 'env/env.yaml');

  it('--config beats $DAQFLOW_CONFIG', () => {
    const loaded = loadConfig({ cwd: dir, configPath: 'flag/flag.yaml', env: { DAQFLOW_CONFIG: envFile } });
    expect(loaded.config.rundb.database).toBe('flag_file');
    expect(loaded.source).toBe(path.join(dir, 'flag/flag.yaml'));
  });

  it('$DAQFLOW_CONFIG beats ./config.yaml', () => {
    const loaded = loadConfig({ cwd: dir, env: { DAQFLOW_CONFIG: envFile } });
    expect(loaded.config.rundb.database).toBe('env_file');
    expect(loaded.source).toBe(envFile);
  });

  it('./config.yaml beats the defaults', () => {
    const loaded = loadConfig({ cwd: dir, env: {} });
    expect(loaded.config.rundb.database).toBe('cwd_file');
    expect(loaded.source).toBe(path.join(dir, 'config.yaml'));
  });

  it('falls back to the embedded defaults under ./daqflow-work', () => {
    const empty = world({});
    const loaded = loadConfig({ cwd: empty, env: { DAQFLOW_CONFIG: '' } });
    expect(loaded.source).toBe('<defaults>');
    expect(loaded.warnings).toEqual([]);
    expect(loaded.config.work_dir).toBe(path.join(empty, 'daqflow-work'));
    expect(loaded.config.rundb.database).toBe('daqflow');
  });

  it('a --config file that does not exist is a ConfigError naming it', () => {
    const error = configErrorOf(() => loadConfig({ cwd: dir, configPath: 'missing.yaml', env: {} }));
    expect(error.exitCode).toBe(3);
    expect(error.shortMessage).toContain(path.join(dir, 'missing.yaml'));
    expect(error.shortMessage).toContain('--config');
  });

  it('a $DAQFLOW_CONFIG file that does not exist is a ConfigError, not a fallback', () => {
    const error = configErrorOf(() => loadConfig({ cwd: dir, env: { DAQFLOW_CONFIG: '/nonexistent/daqflow.yaml' } }));
    expect(error.shortMessage).toContain('$DAQFLOW_CONFIG /nonexistent/daqflow.yaml');
  });

  it('a --config that is a folder is a ConfigError', () => {
    const error = configErrorOf(() => loadConfig({ cwd: dir, configPath: 'flag', env: {} }));
    expect(error.shortMessage).toMatch(/is a folder/);
  });
});

describe('config paths', () => {
  it('resolves relative paths against the config file folder, not the cwd', () => {
    const dir = world({
      'etc/site.yaml': 'work_dir: ../work\nstorage:\n  dirs: [fast, /abs/slow]\nimport:\n  source_dirs: [raw]\narchive:\n  path: archive\n',
    });
    const elsewhere = world({});
    const { config } = loadConfig({ cwd: elsewhere, configPath: path.join(dir, 'etc/site.yaml'), env: {} });
    expect(config.work_dir).toBe(path.join(dir, 'work'));
    expect(config.storage.dirs).toEqual([path.join(dir, 'etc/fast'), '/abs/slow']);
    expect(config.storage.write_dir).toBe(path.join(dir, 'etc/fast'));
    expect(config.import.source_dirs).toEqual([path.join(dir, 'etc/raw')]);
    expect(config.archive.path).toBe(path.join(dir, 'etc/archive'));
  });

  it('fills the folders derived from work_dir', () => {
    const dir = world({ 'config.yaml': 'work_dir: w\n' });
    const { config } = loadConfig({ cwd: dir, env: {} });
    const w = path.join(dir, 'w');
    expect(config.storage.dirs).toEqual([path.join(w, 'strax_data')]);
    expect(config.storage.write_dir).toBe(path.join(w, 'strax_data'));
    expect(config.live.dir).toBe(path.join(w, 'live_data'));
    expect(config.rundb.sqlite_path).toBe(path.join(w, 'runs.sqlite'));
    expect(config.log.dir).toBe(path.join(w, 'logs'));
    expect(config.scheduler.job_dir).toBe(path.join(w, 'jobs'));
    expect(config.clean.quarantine_dir).toBe(path.join(w, 'quarantine'));
    expect(config.rechunk.source_dir).toBeNull();
    expect(config.rechunk.dest_dir).toBeNull();
    expect(config.host).toBe(os.hostname());
  });

  it('resolves --set paths against the cwd and expands ~/', () => {
    const dir = world({ 'etc/config.yaml': 'work_dir: w\n' });
    const cwd = world({});
    const { config } = loadConfig({ cwd, configPath: path.join(dir, 'etc/config.yaml'), env: { HOME: '/home/op' }, sets: ['live.dir=live', 'log.dir=~/logs'] });
    expect(config.work_dir).toBe(path.join(dir, 'etc/w'));
    expect(config.live.dir).toBe(path.join(cwd, 'live'));
    expect(config.log.dir).toBe('/home/op/logs');
  });

  it('workPaths names the working folders', () => {
    const dir = world({ 'config.yaml': 'work_dir: /srv/daq\nscheduler:\n  job_dir: /scratch/jobs\n' });
    const paths = workPaths(loadConfig({ cwd: dir, env: {} }).config);
    expect(paths).toMatchObject({
      workDir: '/srv/daq',
      stateDir: '/srv/daq/state',
      locksDir: '/srv/daq/locks',
      logsDir: '/srv/daq/logs',
      jobsDir: '/scratch/jobs',
      liveDir: '/srv/daq/live_data',
      sqlitePath: '/srv/daq/runs.sqlite',
      writeDir: '/srv/daq/strax_data',
    });
  });
});
