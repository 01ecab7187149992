import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandModules } from '../../src/cli/commands/index.js';
import { KEY_DEPENDENCIES } from '../../src/cli/package-info.js';
import { makeTmpDir } from '../support/tmp.js';
import { runCli } from './run-cli.js';

const commandName = (m: { command?: string | readonly string[] }): string => String(Array.isArray(m.command) ? m.command[0] : m.command).split(' ')[0]!;

describe('daqflow CLI', () => {
  it('--help lists every command with its one-line description', () => {
    const result = runCli(['--help']);
    expect(result.code).toBe(0);
    // yargs wraps a description that does not fit beside the longest command name; compare with spaces collapsed.
    const flat = result.stdout.replace(/\s+/g, ' ');
    for (const module of commandModules) {
      expect(result.stdout).toContain(commandName(module));
      expect(flat).toContain(String(module.describe));
    }
    for (const option of ['--config', '--verbose', '--quiet', '--json', '--dry-run', '--set']) expect(result.stdout).toContain(option);
  });

  it("every command's --help shows examples", () => {
    for (const module of commandModules) {
      const result = runCli([commandName(module), '--help']);
      expect(result.code, commandName(module)).toBe(0);
      expect(result.stdout, commandName(module)).toMatch(/Examples:\n\s+daqflow /);
    }
  });

  it('--version prints daqflow, node and every key dependency with its version and install path', () => {
    const result = runCli(['--version']);
    expect(result.code).toBe(0);
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string };
    expect(result.stdout).toContain(`daqflow ${pkg.version}`);
    expect(result.stdout).toContain(process.versions.node);
    for (const dep of KEY_DEPENDENCIES) {
      const version = JSON.parse(fs.readFileSync(path.join('node_modules', dep, 'package.json'), 'utf8')).version as string;
      expect(result.stdout).toMatch(new RegExp(`${dep.replace('/', '\\/')}\\s+${version.replace(/\./g, '\\.')}\\s+\\S*node_modules/${dep.replace('/', '\\/')}`));
    }
    const json = JSON.parse(runCli(['--version', '--json']).stdout);
    expect(json.daqflow.version).toBe(pkg.version);
    expect(json.dependencies).toHaveLength(KEY_DEPENDENCIES.length);
  });

  it('an unknown command or option exits 3 with a one-line error', () => {
    const unknown = runCli(['frobnicate']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^daqflow: error: .*frobnicate/m);
    const badOption = runCli(['init', '--bogus-option']);
    expect(badOption.code).toBe(3);
    expect(badOption.stderr).toMatch(/bogus-option/);
  });
});

describe('daqflow init', () => {
  it('writes config.yaml from the template, refuses to overwrite without --force, and the result is a valid config', () => {
    const dir = makeTmpDir();
    const first = runCli(['init', '--dir', dir]);
    expect(first.code).toBe(0);
    const written = path.join(dir, 'config.yaml');
    expect(fs.readFileSync(written, 'utf8')).toBe(fs.readFileSync('config.yaml.template', 'utf8'));
    fs.appendFileSync(written, '\n# operator edit\n');
    const again = runCli(['init', '--dir', dir]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain(`${written} already exists; use --force`);
    expect(fs.readFileSync(written, 'utf8')).toContain('# operator edit');
    const forced = runCli(['init', '--dir', dir, '--force']);
    expect(forced.code).toBe(0);
    expect(fs.readFileSync(written, 'utf8')).not.toContain('# operator edit');
    const check = runCli(['config', 'check', '--config', written]);
    expect(check.code).toBe(0);
  });

  it('--dry-run writes nothing', () => {
    const dir = makeTmpDir();
    expect(runCli(['init', '--dir', dir, '--dry-run']).code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'config.yaml'))).toBe(false);
  });
});

describe('daqflow config', () => {
  it('an invalid config exits 3 listing every problem as file: key: message', () => {
    const dir = makeTmpDir();
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, 'rundb:\n  uri: 5\npass:\n  concurrency: "many"\nnot_a_section: 1\n');
    const result = runCli(['config', 'check', '--config', file]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('config.yaml: rundb.uri: expected a string');
    expect(result.stderr).toMatch(/config\.yaml: pass\.concurrency: expected a number/);
    expect(result.stderr).toMatch(/config\.yaml: unknown key "not_a_section"/);
  });

  it('show masks secrets and applies ${VAR:-default} and --set with the documented precedence', () => {
    const dir = makeTmpDir();
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, 'rundb:\n  uri: ${MONGO_URI}\npass:\n  concurrency: ${CONC:-3}\n  batch_size: 7\n');
    const env = { MONGO_URI: 'mongodb://daq:s3cr3t-pw@db.example:27017/run' };
    const result = runCli(['config', 'show', '--config', file, '--json', '--set', 'pass.batch_size=9'], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('s3cr3t-pw');
    const shown = JSON.parse(result.stdout).config;
    expect(shown.rundb.uri).toMatch(/^mongodb:\/\/[^@]*\*\*\*@db\.example:27017\/run$/);
    expect(shown.pass.concurrency).toBe(3);
    expect(shown.pass.batch_size).toBe(9);
    expect(shown.work_dir).toBe(path.join(dir, 'daqflow-work'));
  });

  it('finds ./config.yaml, and $DAQFLOW_CONFIG before it', () => {
    const dir = makeTmpDir();
    fs.writeFileSync(path.join(dir, 'config.yaml'), 'pass:\n  concurrency: 5\n');
    fs.writeFileSync(path.join(dir, 'other.yaml'), 'pass:\n  concurrency: 6\n');
    const local = JSON.parse(runCli(['config', 'show', '--json'], { cwd: dir }).stdout);
    expect(local.config.pass.concurrency).toBe(5);
    const viaEnv = JSON.parse(runCli(['config', 'show', '--json'], { cwd: dir, env: { DAQFLOW_CONFIG: path.join(dir, 'other.yaml') } }).stdout);
    expect(viaEnv.config.pass.concurrency).toBe(6);
  });
});
