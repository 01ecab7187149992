// loadConfig: YAML errors with positions, readable schema problems, env expansion, --set, all problems at once.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError, EXIT } from '../../src/errors.js';
import { configErrorOf, world } from './helpers.js';

const load = (yaml: string, options: { env?: NodeJS.ProcessEnv; sets?: string[] } = {}) => {
  const cwd = world({ 'config.yaml': yaml });
  return loadConfig({ cwd, env: options.env ?? {}, sets: options.sets });
};

describe('loadConfig problems', () => {
  it('reports bad YAML with the file name, line and column', () => {
    const error = configErrorOf(() => load('work_dir: ./w\npass:\n  concurrency: [1, 2\nlog: {}\n'));
    expect(error.problems.length).toBeGreaterThan(0);
    expect(error.problems[0]).toMatch(/^config\.yaml: line \d+, column \d+: \S/);
    expect(error.shortMessage).toMatch(/config\.yaml: \d+ problems? in the configuration/);
  });

  it('points at the line of a duplicate key', () => {
    const error = configErrorOf(() => load('pass:\n  concurrency: 1\n  concurrency: 2\n'));
    expect(error.problems).toEqual([expect.stringMatching(/^config\.yaml: line 3, column 3: .*unique/i)]);
  });

  it('reports an unknown key with the closest known key', () => {
    const error = configErrorOf(() => load('rundb:\n  uir: mongodb://h/db\n'));
    expect(error.problems).toEqual(['config.yaml: rundb: unknown key "uir" (did you mean "uri"?)']);
  });

  it('suggests the section of a key written at the wrong level', () => {
    const error = configErrorOf(() => load('concurrency: 3\n'));
    expect(error.problems).toEqual(['config.yaml: unknown key "concurrency" (did you mean "pass.concurrency"?)']);
  });

  it('reports a wrong type in short words', () => {
    const error = configErrorOf(() => load('rundb:\n  uri: 5\n'));
    expect(error.problems).toEqual(['config.yaml: rundb.uri: expected a string']);
  });

  it('reports enum, range, integer and URL problems readably', () => {
    const error = configErrorOf(() =>
      load('rundb:\n  backend: postgres\npass:\n  concurrency: 0\n  batch_size: 2.5\narchive:\n  server: not a url\nstorage:\n  dirs: [a, 3]\n'),
    );
    expect(error.problems).toEqual(
      expect.arrayContaining([
        'config.yaml: rundb.backend: expected one of auto, sqlite, mongo',
        'config.yaml: pass.concurrency: must be ≥ 1',
        'config.yaml: pass.batch_size: expected a whole number',
        'config.yaml: archive.server: expected a URL (scheme://host/…)',
        'config.yaml: storage.dirs[1]: expected a string',
      ]),
    );
    expect(error.problems).toHaveLength(5);
  });

  it('reports a missing environment variable without a default', () => {
    const error = configErrorOf(() => load('rundb:\n  uri: ${MONGO_URI}\n'));
    expect(error.problems).toEqual(['config.yaml: rundb.uri: environment variable MONGO_URI is not set and has no default']);
  });

  it('lists every problem at once, and the first one in the short message', () => {
    const error = configErrorOf(() =>
      load('rundbb: 1\nrundb:\n  uri: ${NOPE}\npass:\n  concurrency: -1\nretry:\n  jitter_min: 2\n', { sets: ['log.levle=debug'] }),
    );
    expect(error.problems).toEqual(
      expect.arrayContaining([
        'config.yaml: unknown key "rundbb" (did you mean "rundb"?)',
        'config.yaml: rundb.uri: environment variable NOPE is not set and has no default',
        'config.yaml: pass.concurrency: must be ≥ 1',
        '--set: log: unknown key "levle" (did you mean "level"?)',
      ]),
    );
    expect(error.problems).toHaveLength(4);
    expect(error.shortMessage).toContain('4 problems in the configuration');
    expect(error.shortMessage).toContain(error.problems[0]);
  });

  it('runs the cross-field rules and reports all of their errors', () => {
    const error = configErrorOf(() =>
      load('retry:\n  jitter_min: 2\n  jitter_max: 1\nrundb:\n  backend: mongo\nprocessing:\n  engine: command\n'),
    );
    expect(error.problems).toEqual([
      'config.yaml: retry.jitter_min: must be ≤ retry.jitter_max (2 > 1)',
      'config.yaml: rundb.uri: rundb.backend is mongo, so set rundb.uri or rundb.uri_file',
      'config.yaml: processing.command: processing.engine is command, so give the program and its arguments as a list',
    ]);
  });

  it('only warns about an incomplete archive section', () => {
    const loaded = load('archive:\n  kind: http\n');
    expect(loaded.warnings).toEqual(['config.yaml: archive.url: archive.kind is http but no url is set; migrate will refuse to run']);
    expect(load('pass:\n  concurrency: 2\n').warnings).toEqual([]);
  });

  it('warns when a host could be marked dead while it is alive (dead_host_s under 3 × heartbeat_s)', () => {
    expect(load('auto_process:\n  heartbeat_s: 60\n  dead_host_s: 120\n').warnings).toEqual([
      'config.yaml: auto_process.dead_host_s: should be at least 3 × auto_process.heartbeat_s (180) and longer than the cron interval; otherwise a live host can be marked dead',
    ]);
  });

  it('is a ConfigError with exit code 3', () => {
    const error = configErrorOf(() => load('pass: 3\n'));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.exitCode).toBe(3);
    expect(EXIT.config).toBe(3);
    expect(error.problems).toEqual(['config.yaml: pass: expected a section (key: value pairs)']);
  });

  it('rejects a file that is not a mapping', () => {
    const error = configErrorOf(() => load('- a\n- b\n'));
    expect(error.problems[0]).toMatch(/^config\.yaml: the file must be a mapping/);
  });
});

describe('loadConfig environment expansion', () => {
  it('uses the default of ${VAR:-x} when VAR is unset or empty', () => {
    expect(load('rundb:\n  database: ${DB:-runs_dev}\n').config.rundb.database).toBe('runs_dev');
    expect(load('rundb:\n  database: ${DB:-runs_dev}\n', { env: { DB: '' } }).config.rundb.database).toBe('runs_dev');
    expect(load('rundb:\n  database: ${DB-runs_dev}\n', { env: { DB: 'x' } }).config.rundb.database).toBe('x');
  });

  it('substitutes ${VAR} inside a longer string and inside lists', () => {
    const { config } = load('rundb:\n  uri: "mongodb://daq:${PW}@db1:27017/admin"\nimport:\n  source_dirs: ["${ROOT}/a", "${ROOT}/b"]\n', {
      env: { PW: 's3cr"t', ROOT: '/data' },
    });
    expect(config.rundb.uri).toBe('mongodb://daq:s3cr"t@db1:27017/admin');
    expect(config.import.source_dirs).toEqual(['/data/a', '/data/b']);
  });

  it('reads $$ as a literal dollar and leaves $NAME alone', () => {
    const { config } = load("notify:\n  email:\n    user: u\n    password: 'a$$b$c${X}'\n", { env: { X: '!' } });
    expect(config.notify.email.password).toBe('a$b$c!');
  });

  it('gives a value that is entirely ${VAR} the number or boolean type the key wants, and keeps strings strings', () => {
    const { config } = load('pass:\n  concurrency: ${N}\narchive:\n  tls_verify: ${V:-false}\nnotify:\n  email:\n    user: daq\n    password: ${PW}\n', {
      env: { N: '8', PW: '123456' },
    });
    expect(config.pass.concurrency).toBe(8);
    expect(config.archive.tls_verify).toBe(false);
    expect(config.notify.email.password).toBe('123456');
    const error = configErrorOf(() => load('pass:\n  concurrency: ${N}\n', { env: { N: 'eight' } }));
    expect(error.problems).toEqual(['config.yaml: pass.concurrency: expected a number']);
    const mixed = configErrorOf(() => load('pass:\n  concurrency: x${N}\n', { env: { N: '8' } }));
    expect(mixed.problems).toEqual(['config.yaml: pass.concurrency: expected a number']);
  });

  it('makes an emptied ${VAR:-} null where the key allows null, and reports it where it does not', () => {
    const { config } = load('rundb:\n  uri: ${MONGO_URI:-}\nnotify:\n  email:\n    password: ${SMTP_PASSWORD:-}\n');
    expect(config.rundb.uri).toBeNull();
    expect(config.notify.email.password).toBeNull();
    expect(load('rundb:\n  uri: ${MONGO_URI:-}\n', { env: { MONGO_URI: 'mongodb://h/db' } }).config.rundb.uri).toBe('mongodb://h/db');
    const error = configErrorOf(() => load('rundb:\n  database: ${DB:-}\n'));
    expect(error.problems).toEqual(['config.yaml: rundb.database: must not be empty']);
  });

  it('does not expand keys or text in comments', () => {
    const { config } = load('# ${UNSET}\nrundb:\n  database: plain\n');
    expect(config.rundb.database).toBe('plain');
  });
});

describe('loadConfig --set', () => {
  it('wins over the file and over environment values', () => {
    const { config } = load('pass:\n  concurrency: 2\nrundb:\n  database: ${DB}\n', {
      env: { DB: 'from_env' },
      sets: ['pass.concurrency=8', 'rundb.database=from_set'],
    });
    expect(config.pass.concurrency).toBe(8);
    expect(config.rundb.database).toBe('from_set');
  });

  it('parses numbers, booleans, lists and records as YAML', () => {
    const { config } = load('', {
      sets: ['pass.concurrency=8', 'scheduler.use_arrays=false', 'storage.dirs=[/a,/b]', 'processing.options={gain: 2}', 'rundb.user_filter.mode=physics'],
    });
    expect(config.pass.concurrency).toBe(8);
    expect(config.scheduler.use_arrays).toBe(false);
    expect(config.storage.dirs).toEqual(['/a', '/b']);
    expect(config.processing.options).toEqual({ gain: 2 });
    expect(config.rundb.user_filter).toEqual({ mode: 'physics' });
  });

  it('keeps the text of a value for a string key', () => {
    expect(load('', { sets: ['archive.folder=0123'] }).config.archive.folder).toBe('0123');
  });

  it('the last --set of a key wins', () => {
    expect(load('', { sets: ['pass.concurrency=2', 'pass.concurrency=3'] }).config.pass.concurrency).toBe(3);
  });

  it('reports an unknown path, a malformed override and a bad value', () => {
    const error = configErrorOf(() => load('', { sets: ['pass.concurency=8', 'nonsense', 'pass.concurrency.x=1', 'pass.concurrency=0'] }));
    expect(error.problems).toEqual([
      '--set: pass: unknown key "concurency" (did you mean "concurrency"?)',
      '--set: "nonsense": expected section.key=value, e.g. --set pass.concurrency=8',
      '--set: pass.concurrency is a single value, not a section',
      '--set: pass.concurrency: must be ≥ 1',
    ]);
  });

  it('applies to the embedded defaults too', () => {
    const cwd = world({});
    const loaded = loadConfig({ cwd, env: {}, sets: ['log.level=debug'] });
    expect(loaded.source).toBe('<defaults>');
    expect(loaded.config.log.level).toBe('debug');
  });
});

describe('loadConfig sections', () => {
  it('treats a section whose keys are all commented out as omitted', () => {
    const { config } = load('log:\n  # level: debug\nnotify:\n  email:\n');
    expect(config.log.level).toBe('info');
    expect(config.notify.email.enabled).toBe(false);
  });
});
