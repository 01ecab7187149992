// The one configuration schema: every key, its type and its default. The YAML file uses these snake_case names.
import { z } from 'zod';

// prefault({}) parses the empty object through the schema, so nested defaults apply when a section is omitted.
const section = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape).prefault({} as never);
const positiveInt = () => z.number().int().positive();
const nonNegative = () => z.number().nonnegative();
const pathOrNull = () => z.string().min(1).nullable().default(null);

export const retrySchema = section({
  base_delay_s: nonNegative().default(60),
  jitter_min: nonNegative().default(0.5),
  jitter_max: nonNegative().default(1.5),
  factor: z.number().min(1).default(5),
  max_exponent: z.number().int().nonnegative().default(3),
  max_failures: positiveInt().default(10),
});

export const passSchema = section({
  concurrency: positiveInt().default(4),
  lock_stale_s: z.number().min(2).default(60),
  lock_update_s: z.number().min(1).default(10),
  batch_size: z.number().int().nonnegative().default(0),
});

export const logSchema = section({
  level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  dir: pathOrNull(),
  max_bytes: positiveInt().default(10 * 1024 * 1024),
  max_files: positiveInt().default(5),
});

export const rundbSchema = section({
  backend: z.enum(['auto', 'sqlite', 'mongo']).default('auto'),
  uri: z.string().min(1).nullable().default(null),
  uri_file: pathOrNull(),
  database: z.string().min(1).default('daqflow'),
  collections: section({
    runs: z.string().min(1).default('runs'),
    hosts: z.string().min(1).default('daqflow_hosts'),
    monitor: z.string().min(1).default('daqflow_monitor'),
    config: z.string().min(1).default('daqflow_config'),
  }),
  state_field: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('daqflow'),
  sqlite_path: pathOrNull(),
  busy_timeout_ms: positiveInt().default(5000),
  connect_timeout_ms: positiveInt().default(10000),
  monitor_cap_bytes: positiveInt().default(64 * 1024 * 1024),
  user_filter: z.record(z.string(), z.unknown()).nullable().default(null),
  // --- shared-runs-DB keys (issue 9): time limits, field names, an existing processing state ---
  op_timeout_ms: positiveInt().default(30000),
  fields: section({
    number: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('number'),
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('name'),
    data: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('data'),
    deleted_data: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('deleted_data'),
    tags: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('tags'),
  }),
  legacy_state: section({
    field: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/).nullable().default(null),
    stage: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('process'),
    map: z
      .record(z.string(), z.enum(['pending', 'claimed', 'submitted', 'running', 'done', 'failed', 'abandoned']))
      .default({ done: 'done', failed: 'failed', abandoned: 'abandoned', busy: 'running', considering: 'claimed' }),
  }),
  // --- end of shared-runs-DB keys ---
});

export const storageSchema = section({
  dirs: z.array(z.string().min(1)).nullable().default(null),
  write_dir: pathOrNull(),
  overwrite: z.enum(['never', 'if_broken', 'always']).default('if_broken'),
});

const channelRange = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);
/** XENONnT's channel map (straxen contexts); ranges ascending, 799 = artificial deadtime inside aqmon. */
const XENONNT_CHANNEL_MAP = {
  tpc: [0, 493], he: [500, 752], aqmon: [790, 807], aqmon_nv: [808, 815], tpc_blank: [999, 999], mv: [1000, 1083],
  aux_mv: [1084, 1087], mv_blank: [1999, 1999], nveto: [2000, 2119], nveto_blank: [2999, 2999],
} as Record<string, [number, number]>;

export const liveSchema = section({
  dir: pathOrNull(),
  channel_map: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), channelRange).default(XENONNT_CHANNEL_MAP),
});

export const processingSchema = section({
  engine: z.enum(['builtin', 'command']).default('builtin'),
  command: z.array(z.string()).default([]),
  targets: z.array(z.string().min(1)).default(['event_info']),
  workers: positiveInt().nullable().default(null),
  chunk_target_mb: z.number().positive().nullable().default(null),
  compressor: z.enum(['blosc', 'zstd', 'lz4', 'bz2']).nullable().default(null),
  options: z.record(z.string(), z.unknown()).default({}),
  plugins: z.array(z.string().min(1)).default([]),
  timeout_min: positiveInt().default(24 * 60),
});

export const schedulerSchema = section({
  kind: z.enum(['local', 'slurm', 'pbs', 'auto']).default('local'),
  partition: z.string().min(1).nullable().default(null),
  queue: z.string().min(1).nullable().default(null),
  account: z.string().min(1).nullable().default(null),
  qos: z.string().min(1).nullable().default(null),
  cpus: positiveInt().default(1),
  mem_gb: z.number().positive().default(4),
  walltime_min: positiveInt().default(120),
  extra_directives: z.array(z.string()).default([]),
  skip_directives: z.array(z.string()).default([]),
  job_dir: pathOrNull(),
  use_arrays: z.boolean().default(true),
  max_array_size: positiveInt().default(1000),
  pbs_flavor: z.enum(['auto', 'openpbs', 'torque', 'slurm']).default('auto'),
  local_max_parallel: positiveInt().default(2),
  command_timeout_s: positiveInt().default(60),
  poll_interval_s: positiveInt().default(30),
  daqflow_command: z.array(z.string()).default([]),
});

export const autoProcessSchema = section({
  enabled: z.boolean().default(true),
  max_jobs_in_flight: positiveInt().default(20),
  max_failures: positiveInt().default(10),
  window_days: z.number().positive().nullable().default(null),
  claim_timeout_s: positiveInt().default(60),
  running_timeout_s: positiveInt().default(120),
  dead_host_s: positiveInt().default(300),
  heartbeat_s: positiveInt().default(10),
  min_free_disk_fraction: z.number().min(0).max(1).default(0.05),
  max_submit_per_pass: positiveInt().default(50),
  targets: z.array(z.string().min(1)).nullable().default(null),
  fallback_targets: z.array(z.string().min(1)).min(1).default(['peak_basics', 'raw_records']),
  order: z.enum(['newest', 'oldest']).default('newest'),
  hold_tag: z.string().min(1).default('hold'),
  require_end: z.boolean().default(true),
  pause_file: z.string().min(1).default('PAUSE'),
  coverage_tolerance_s: nonNegative().default(5),
  degrade: z
    .array(
      z.strictObject({
        after_failures: positiveInt(),
        drop_targets: z.array(z.string()).default([]),
        cpus: positiveInt().nullable().default(null),
        walltime_factor: z.number().positive().nullable().default(null),
        compressor: z.enum(['blosc', 'zstd', 'lz4', 'bz2']).nullable().default(null),
      }),
    )
    .default([
      { after_failures: 2, drop_targets: ['event*'], cpus: null, walltime_factor: null, compressor: null },
      { after_failures: 6, drop_targets: ['peak*'], cpus: null, walltime_factor: 2, compressor: null },
      { after_failures: 7, drop_targets: ['*'], cpus: 1, walltime_factor: 2, compressor: 'zstd' },
    ]),
});

export const importSchema = section({
  source_dirs: z.array(z.string().min(1)).default([]),
  run_pattern: z.string().min(1).default('^\\d{6}$'),
  settle_minutes: nonNegative().default(10),
  end_markers: z.array(z.string().min(1)).default(['THE_END', 'end_of_run.json', 'run_record/end_of_run.json']),
  record_files: z.array(z.string().min(1)).default(['*.json', '*.yaml', '*.yml', '*.fcl', '*.txt', 'run_record/*']),
  max_file_mb: z.number().positive().default(50),
  live_data_entry: z.boolean().default(true),
});

/** Placeholders of archive.url and archive.file_name. */
export const ARCHIVE_PLACEHOLDERS: readonly string[] = ['server', 'folder', 'object', 'run', 'number'];

export const archiveSchema = section({
  kind: z.enum(['filesystem', 'http']).default('filesystem'),
  path: pathOrNull(),
  file_name: z.string().min(1).default('{run}.tar'),
  url: z.string().min(1).nullable().default(null),
  server: z.string().url().nullable().default(null),
  folder: z.string().min(1).default('run_records'),
  object: z.string().min(1).default('run_record'),
  username: z.string().min(1).nullable().default(null),
  password_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).nullable().default(null),
  password_file: pathOrNull(),
  tls_verify: z.boolean().default(true),
  ca_file: pathOrNull(),
  connect_timeout_s: z.number().positive().default(30),
  timeout_s: z.number().positive().default(300),
  retries: z.number().int().nonnegative().default(3),
  retry_delay_s: nonNegative().default(2),
});

export const migrateSchema = section({
  include_data: z.array(z.string().min(1)).default([]),
  required_keys: z.array(z.string().min(1)).default([]),
});

const compressorName = z.enum(['blosc', 'zstd', 'lz4', 'bz2']);

export const rechunkSchema = section({
  source_dir: pathOrNull(),
  dest_dir: pathOrNull(),
  raw_target_mb: z.number().positive().default(5000),
  target_mb: z.number().positive().default(1500),
  blosc_max_mb: z.number().positive().default(1500),
  raw_types: z.array(z.string()).default(['raw_records', 'raw_records_*']),
  raw_compressor: compressorName.default('bz2'),
  compressor: compressorName.default('zstd'),
  high_rate_mb_s: z.number().positive().default(50),
  fast_compressor: compressorName.default('zstd'),
  rules: z.array(z.strictObject({ data_types: z.array(z.string().min(1)).min(1), target_mb: z.number().positive().optional(), compressor: compressorName.optional() })).default([]),
  skip_types: z.array(z.string()).default([]),
  deep_compare: z.boolean().default(true),
  bypass: z.boolean().default(false),
  keep_source: z.boolean().default(false),
  max_workers: positiveInt().default(2),
  max_threads: positiveInt().default(1),
});

export const cleanSchema = section({
  production: z.boolean().default(false),
  live_min_age_h: nonNegative().default(24),
  processed_min_age_h: nonNegative().default(12),
  min_raw_copies: positiveInt().default(2),
  quarantine_dir: pathOrNull(),
  min_free_space_gb: nonNegative().default(0),
  min_file_age_days: nonNegative().default(7),
  remove_outdated_lineage: z.boolean().default(true),
});

export const reportConfigSchema = section({
  disk_warn_fraction: z.number().min(0).max(1).default(0.9),
});

export const notifySchema = section({
  on: z.array(z.enum(['failure', 'success', 'always'])).default(['failure']),
  email: section({
    enabled: z.boolean().default(false),
    smtp_host: z.string().min(1).default('localhost'),
    smtp_port: positiveInt().default(25),
    secure: z.boolean().default(false),
    user: z.string().min(1).nullable().default(null),
    password: z.string().min(1).nullable().default(null),
    from: z.string().min(1).default('daqflow@localhost'),
    to: z.array(z.string().min(1)).default([]),
    timeout_s: positiveInt().default(30),
  }),
  slack: section({
    enabled: z.boolean().default(false),
    webhook_url: z.string().url().nullable().default(null),
    timeout_s: positiveInt().default(30),
  }),
});

export const metricsSchema = section({
  carbon: section({
    enabled: z.boolean().default(false),
    host: z.string().min(1).default('localhost'),
    port: positiveInt().default(2003),
    prefix: z.string().min(1).default('daqflow'),
  }),
  prometheus_textfile: pathOrNull(),
});

export const configSchema = z.strictObject({
  work_dir: z.string().min(1).default('./daqflow-work'),
  host: z.string().min(1).nullable().default(null),
  log: logSchema,
  pass: passSchema,
  retry: retrySchema,
  rundb: rundbSchema,
  storage: storageSchema,
  live: liveSchema,
  processing: processingSchema,
  scheduler: schedulerSchema,
  auto_process: autoProcessSchema,
  import: importSchema,
  archive: archiveSchema,
  migrate: migrateSchema,
  rechunk: rechunkSchema,
  clean: cleanSchema,
  report: reportConfigSchema,
  notify: notifySchema,
  metrics: metricsSchema,
});

export type Config = z.infer<typeof configSchema>;
export type RetryConfig = Config['retry'];
