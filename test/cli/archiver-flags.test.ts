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
    [['--recover-import-state'], [['recover-state', 'import']]],
    [['--recover-migrate-state'], [['recover-state', 'migrate']]],
    [['--incremental'], [['import', '--incremental'], ['migrate', '--incremental']]],
    [['--config', 'cfg.yaml', '--incremental'], [['import', '--incremental', '--config', 'cfg.yaml'], ['migrate', '--incremental', '--config', 'cfg.yaml']]],
  ])('%j maps to %j', (argv, expected) => {
    expect(mapArchiverFlags(argv)?.commands).toEqual(expected);
  });

  it('leaves subcommand invocations and plain options alone', () => {
    expect(mapArchiverFlags(['migrate', '--retry-failed-migrate'])).toBeNull();
    expect(mapArchiverFlags(['import', '--incremental'])).toBeNull();
    expect(mapArchiverFlags(['--help'])).toBeNull();
    expect(mapArchiverFlags([])).toBeNull();
  });

  it('rejects two modes at once and --compare-state without --report-status', () => {
    expect(() => mapArchiverFlags(['--import-only', '--migrate-only'])).toThrow(ConfigError);
    expect(() => mapArchiverFlags(['--import-only', '--compare-state'])).toThrow(/--compare-state only works with --report-status/);
  });
});
