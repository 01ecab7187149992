import { describe, expect, it } from 'vitest';
import { mapArchiverFlags } from '../../src/cli/archiver-flags.js';
import { ConfigError } from '../../src/errors.js';

describe('archiver-style top-level flags', () => {
  it.each([
    [['--import-only'], [['import']]],
    [['--import-only', '--incremental'], [['import', '--incremental']]],
    [['--migrate-only', '--incremental', '-v'], [['migrate', '--incremental', '-v']]],
    [['--retry-failed-import'], [['import', '--retry-failed-import']]],
    [['--retry-failed-migrate', '--config', 'a.yaml'], [['migrate', '--retry-failed-migrate', '--config', 'a.yaml']]],
    [['--report-status'], [['report-status']]],
    [['--report-status', '--compare-state', '--json'], [['report-status', '--compare-state', '--json']]],
    [['config.yaml', '--compare-state'], [['report-status', '--compare-state', '--config', 'config.yaml']]],
    [['--recover-import-state'], [['recover-state', 'import']]],
    [['--recover-migrate-state'], [['recover-state', 'migrate']]],
    [['--incremental'], [['import', '--incremental'], ['migrate', '--incremental']]],
    [['--config', 'cfg.yaml', '--incremental'], [['import', '--incremental', '--config', 'cfg.yaml'], ['migrate', '--incremental', '--config', 'cfg.yaml']]],
    [['config.yaml', '--incremental'], [['import', '--incremental', '--config', 'config.yaml'], ['migrate', '--incremental', '--config', 'config.yaml']]],
    [['/etc/sbnd/archiver.yml'], [['import', '--config', '/etc/sbnd/archiver.yml'], ['migrate', '--config', '/etc/sbnd/archiver.yml']]],
    [['config.yaml', '--import-only', '-v'], [['import', '-v', '--config', 'config.yaml']]],
    [['config.yaml', '--retry-failed-migrate', '--validate'], [['migrate', '--retry-failed-migrate', '--validate', '--config', 'config.yaml']]],
    [['config.yaml', '--incremental', '--validate'], [['import', '--incremental', '--config', 'config.yaml'], ['migrate', '--incremental', '--validate', '--config', 'config.yaml']]],
  ])('%j maps to %j', (argv, expected) => {
    expect(mapArchiverFlags(argv)?.commands).toEqual(expected);
  });

  it('leaves subcommand invocations and plain options alone', () => {
    expect(mapArchiverFlags(['migrate', '--retry-failed-migrate'])).toBeNull();
    expect(mapArchiverFlags(['import', '--incremental'])).toBeNull();
    expect(mapArchiverFlags(['--help'])).toBeNull();
    expect(mapArchiverFlags([])).toBeNull();
    expect(mapArchiverFlags(['submit', '012100', '--target', 'peaks'])).toBeNull();
    expect(mapArchiverFlags(['--config', 'a.yaml', 'import'])).toBeNull();
  });

  it('rejects --validate outside migrating modes and a config file given twice', () => {
    expect(() => mapArchiverFlags(['config.yaml', '--import-only', '--validate'])).toThrow(/--validate checks migrated blobs; it does not work with --import-only/);
    expect(() => mapArchiverFlags(['config.yaml', '--config', 'b.yaml'])).toThrow(/give the config file once/);
  });

  it('rejects two modes at once and --compare-state without --report-status', () => {
    expect(() => mapArchiverFlags(['--import-only', '--migrate-only'])).toThrow(ConfigError);
    expect(() => mapArchiverFlags(['--import-only', '--compare-state'])).toThrow(/--compare-state only works with --report-status/);
  });
});
