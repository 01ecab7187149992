// The `report-status --json` object: its zod schema is the documented schema (docs/report-schema.md holds its JSON Schema).
import { z } from 'zod';
import { PROCESS_STATES } from '../rundb/types.js';
import { DRIFT_KINDS } from './compare.js';
import { SOURCE_NAMES } from './sources.js';
import { REPORT_STAGES } from './truth.js';

export const REPORT_FORMAT = 'daqflow-report/1';

const int = () => z.number().int();
const count = () => z.number().int().nonnegative();
const isoTime = () => z.string().describe('ISO 8601 time (UTC)');
const range = z.tuple([int(), int()]).describe('inclusive [first, last] run numbers');
const abbreviated = <T extends z.ZodType>(item: T) =>
  z.strictObject({ count: count(), first: z.array(item), last: z.array(item), omitted: count() }).describe('a long list kept short: first and last five items and how many were left out');

const source = z.strictObject({
  name: z.enum(SOURCE_NAMES),
  configured: z.boolean(),
  available: z.boolean(),
  error: z.string().nullable(),
  note: z.string().nullable().describe('why a source that answered has no runs, when worth saying (the sqlite runs DB file not created yet); null otherwise'),
  locations: z.array(z.string()),
  count: count(),
  min: int().nullable(),
  max: int().nullable(),
  ranges: abbreviated(range),
  gaps: abbreviated(range),
});

const failure = z.strictObject({ run: int(), n_failures: count(), reason: z.string(), last_attempt: isoTime().nullable(), next_retry: isoTime().nullable() });
const drift = z.strictObject({ kind: z.enum(DRIFT_KINDS), runs: abbreviated(range), detail: z.string() });
const histogram = z.strictObject(Object.fromEntries(PROCESS_STATES.map((s) => [s, count()])) as Record<(typeof PROCESS_STATES)[number], ReturnType<typeof count>>);

const stage = z.strictObject({
  stage: z.enum(REPORT_STAGES),
  configured: z.boolean(),
  error: z.string().nullable(),
  source: z.string(),
  destination: z.string(),
  ledger: z.strictObject({
    file: z.string(),
    present: z.boolean(),
    error: z.string().nullable(),
    last_contiguous_run: int().nullable(),
    done_above: abbreviated(range),
    updated_at: isoTime().nullable(),
  }),
  last_pass: z
    .strictObject({ started_at: isoTime(), ended_at: isoTime(), duration_s: z.number().nonnegative(), exit_code: int(), outcome: z.enum(['ok', 'runs_failed', 'interrupted', 'stopped']) })
    .nullable()
    .describe("the stage's last finished pass (state/<stage>.last-pass.json); null before the first"),
  source_runs: count(),
  done_runs: count(),
  sources_contiguous_run: int().nullable(),
  failed: abbreviated(failure),
  pending: abbreviated(range),
  pending_count: count(),
  runs_db_states: histogram,
  drift: z.array(drift).nullable(),
});

const chartBin = <T extends z.ZodType>(edge: T) => z.strictObject({ from: edge, to: edge, total: count(), present: z.array(count()) });

export const reportSchema = z.strictObject({
  format: z.literal(REPORT_FORMAT),
  generated_at: isoTime(),
  host: z.string(),
  compare_state: z.boolean(),
  sources: z.strictObject({ live: source, rundb: source, storage: source, archive: source }),
  stages: z.strictObject({ import: stage, migrate: stage, process: stage, rechunk: stage }),
  processing_states: histogram,
  jobs_in_flight: z.strictObject({
    count: count(),
    oldest_age_s: z.number().nullable(),
    jobs: z.array(z.strictObject({ run: int(), state: z.enum(PROCESS_STATES), job_id: z.string().nullable(), scheduler: z.string().nullable(), host: z.string().nullable(), since: isoTime().nullable(), age_s: z.number().nullable() })),
  }),
  hosts: z.array(z.strictObject({ host: z.string(), command: z.string(), pid: int().nullable(), state: z.string(), version: z.string().nullable(), last_seen: isoTime(), age_s: z.number(), dead: z.boolean() })),
  disk: z.array(z.strictObject({ path: z.string(), roles: z.array(z.string()), total_bytes: count(), free_bytes: count(), used_fraction: z.number() })),
  chart: z.strictObject({
    series: z.array(z.string()),
    by_run: z.array(chartBin(int())),
    by_time: z.array(chartBin(isoTime())),
  }),
  recommendations: z.array(z.strictObject({ n: int().positive(), severity: z.enum(['action', 'warning', 'info']), text: z.string(), command: z.string().nullable() })),
  errors: z.array(z.strictObject({ source: z.string(), message: z.string() })),
  drift_found: z.boolean(),
  exit_code: int(),
});

export type Report = z.infer<typeof reportSchema>;
export type SourceReport = z.infer<typeof source>;
export type StageReport = z.infer<typeof stage>;
export type Recommendation = Report['recommendations'][number];
export type ReportFailure = z.infer<typeof failure>;

/** The JSON Schema of the report, as docs/report-schema.md shows it (scripts/report-schema.mjs writes it there). */
export const reportJsonSchema = (): Record<string, unknown> => z.toJSONSchema(reportSchema, { reused: 'ref' }) as Record<string, unknown>;
