// Make every path in the config absolute and fill the defaults derived from work_dir; workPaths() names the working folders.
import os from 'node:os';
import path from 'node:path';
import type { Config } from './schema.js';
import { isUnder } from './problems.js';

export interface ResolveOptions {
  /** Folder that relative paths from the file (or the defaults) are relative to. */
  baseDir: string;
  /** Folder that relative paths given with --set are relative to. */
  cwd?: string;
  /** Dotted paths that came from --set. */
  setPaths?: readonly string[];
  env?: NodeJS.ProcessEnv;
  hostname?: string;
}

/** The config after loading: paths absolute, derived defaults filled in. */
export type ResolvedConfig = Config & {
  host: string;
  log: Config['log'] & { dir: string };
  rundb: Config['rundb'] & { sqlite_path: string };
  storage: Config['storage'] & { dirs: string[]; write_dir: string };
  live: Config['live'] & { dir: string };
  scheduler: Config['scheduler'] & { job_dir: string };
  clean: Config['clean'] & { quarantine_dir: string };
};

export function expandHome(p: string, env: NodeJS.ProcessEnv = process.env): string {
  if (p === '~' || p.startsWith('~/')) return path.join(env.HOME ?? os.homedir(), p.slice(1));
  return p;
}

/** Resolve paths and fill derived defaults. Does not touch the disk. */
export function resolveConfigPaths(config: Config, options: ResolveOptions): ResolvedConfig {
  const env = options.env ?? process.env;
  const setPaths = options.setPaths ?? [];
  const abs = (key: string, p: string): string => {
    const fromSet = setPaths.some((s) => isUnder(key, s));
    return path.resolve(fromSet ? (options.cwd ?? options.baseDir) : options.baseDir, expandHome(p, env));
  };
  const absOrNull = (key: string, p: string | null): string | null => (p === null ? null : abs(key, p));

  const workDir = abs('work_dir', config.work_dir);
  const under = (name: string) => path.join(workDir, name);
  const writeDir = absOrNull('storage.write_dir', config.storage.write_dir);
  const listed = config.storage.dirs?.map((d, i) => abs(`storage.dirs[${i}]`, d)) ?? [];
  // Without storage.dirs, the write folder (if given) is the one storage folder.
  const dirs = listed.length > 0 ? listed : [writeDir ?? under('strax_data')];
  return {
    ...config,
    work_dir: workDir,
    host: config.host ?? options.hostname ?? os.hostname(),
    log: { ...config.log, dir: absOrNull('log.dir', config.log.dir) ?? under('logs') },
    rundb: {
      ...config.rundb,
      uri_file: absOrNull('rundb.uri_file', config.rundb.uri_file),
      sqlite_path: absOrNull('rundb.sqlite_path', config.rundb.sqlite_path) ?? under('runs.sqlite'),
    },
    storage: { ...config.storage, dirs, write_dir: writeDir ?? dirs[0]! },
    live: { ...config.live, dir: absOrNull('live.dir', config.live.dir) ?? under('live_data') },
    scheduler: { ...config.scheduler, job_dir: absOrNull('scheduler.job_dir', config.scheduler.job_dir) ?? under('jobs') },
    import: { ...config.import, source_dirs: config.import.source_dirs.map((d, i) => abs(`import.source_dirs[${i}]`, d)) },
    archive: {
      ...config.archive,
      path: absOrNull('archive.path', config.archive.path),
      password_file: absOrNull('archive.password_file', config.archive.password_file),
      ca_file: absOrNull('archive.ca_file', config.archive.ca_file),
    },
    serve: { ...config.serve, secret_file: absOrNull('serve.secret_file', config.serve.secret_file) },
    rechunk: {
      ...config.rechunk,
      source_dir: absOrNull('rechunk.source_dir', config.rechunk.source_dir),
      dest_dir: absOrNull('rechunk.dest_dir', config.rechunk.dest_dir),
    },
    clean: { ...config.clean, quarantine_dir: absOrNull('clean.quarantine_dir', config.clean.quarantine_dir) ?? under('quarantine') },
    notify: { ...config.notify, email: { ...config.notify.email, password_file: absOrNull('notify.email.password_file', config.notify.email.password_file) } },
    metrics: { ...config.metrics, prometheus_dir: absOrNull('metrics.prometheus_dir', config.metrics.prometheus_dir) },
  };
}

export interface WorkPaths {
  workDir: string;
  stateDir: string;
  locksDir: string;
  logsDir: string;
  jobsDir: string;
  liveDir: string;
  storageDirs: string[];
  writeDir: string;
  sqlitePath: string;
  quarantineDir: string;
}

/** The working folders of a (loaded) config. Works on an unresolved Config too, deriving what is null. */
export function workPaths(config: Config): WorkPaths {
  const workDir = path.resolve(config.work_dir);
  const under = (name: string) => path.join(workDir, name);
  const storageDirs = config.storage.dirs?.length ? config.storage.dirs : [config.storage.write_dir ?? under('strax_data')];
  return {
    workDir,
    stateDir: under('state'),
    locksDir: under('locks'),
    logsDir: config.log.dir ?? under('logs'),
    jobsDir: config.scheduler.job_dir ?? under('jobs'),
    liveDir: config.live.dir ?? under('live_data'),
    storageDirs,
    writeDir: config.storage.write_dir ?? storageDirs[0]!,
    sqlitePath: path.resolve(config.rundb.sqlite_path ?? under('runs.sqlite')),
    quarantineDir: config.clean.quarantine_dir ?? under('quarantine'),
  };
}
