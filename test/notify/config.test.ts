// The notify/metrics/clean config keys: one SMTP password source, a user with it, relative paths resolved.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { configErrorOf, world } from '../config/helpers.js';

const load = (yaml: string) => {
  const dir = world({ 'config.yaml': yaml });
  return { dir, ...loadConfig({ configPath: path.join(dir, 'config.yaml'), env: {}, cwd: dir }) };
};

describe('notify, metrics and clean configuration', () => {
  it('refuses two SMTP password sources, and a password without a user', () => {
    const both = configErrorOf(() => load('notify:\n  email:\n    user: daq\n    password: x\n    password_env: SMTP_PW\n'));
    expect(both.problems.join('\n')).toContain('set only one of notify.email.password, password_env and password_file');
    const noUser = configErrorOf(() => load('notify:\n  email:\n    password_file: pw\n'));
    expect(noUser.problems.join('\n')).toContain('an SMTP password is configured, so set notify.email.user too');
  });

  it('resolves the password file and the Prometheus folder against the config file', () => {
    const { dir, config } = load('notify:\n  email:\n    user: daq\n    password_file: secrets/smtp\nmetrics:\n  prometheus_dir: prom\n');
    expect(config.notify.email.password_file).toBe(path.join(dir, 'secrets', 'smtp'));
    expect(config.metrics.prometheus_dir).toBe(path.join(dir, 'prom'));
  });

  it('has every clean rule on by default, and a rule can be switched off alone', () => {
    const { config } = load('clean:\n  rules:\n    free_space: false\n');
    expect(config.clean.rules).toEqual({ live_done: true, abandoned: true, outdated_lineage: true, missing_files: true, unregistered: true, free_space: false });
    expect(config.clean.min_raw_copies).toBe(2);
  });
});
