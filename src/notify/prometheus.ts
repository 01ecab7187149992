// Prometheus node_exporter textfile collector: <dir>/daqflow_<stage>.prom, replaced atomically after every pass.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import { metricStage, type PassFigures } from './figures.js';

const HELP: Record<keyof PassFigures, string> = {
  runs_done: 'Runs done in the last pass',
  runs_failed: 'Runs failed in the last pass',
  runs_pending: 'Runs handed off (e.g. submitted) in the last pass',
  runs_skipped: 'Runs skipped in the last pass',
  last_contiguous_run: 'Largest run below which every run of the source is done (-1: none)',
  duration_seconds: 'Duration of the last pass',
  throughput_runs_per_minute: 'Runs done per minute in the last pass',
};

export interface PromInput {
  stage: string;
  host: string;
  figures: PassFigures;
  when: Date;
  /** Runs by processing state (auto-process: the job counts), or null. */
  byState?: Record<string, number> | null;
}

const label = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function promText({ stage, host, figures, when, byState }: PromInput): string {
  const labels = `stage="${label(stage)}",host="${label(host)}"`;
  const out: string[] = [];
  const gauge = (name: string, help: string, samples: Array<[string, number]>) => {
    out.push(`# HELP daqflow_${name} ${help}`, `# TYPE daqflow_${name} gauge`, ...samples.map(([l, v]) => `daqflow_${name}{${l}} ${v}`));
  };
  for (const [name, value] of Object.entries(figures) as Array<[keyof PassFigures, number]>) gauge(name, HELP[name], [[labels, value]]);
  gauge('last_pass_timestamp_seconds', 'When the last pass ended (unix time)', [[labels, Math.floor(when.getTime() / 1000)]]);
  if (byState) gauge('runs_by_state', 'Runs by processing state (jobs in flight: submitted, running)', Object.entries(byState).map(([s, n]) => [`${labels},state="${label(s)}"`, n]));
  return out.join('\n') + '\n';
}

/** Writes the stage's file atomically (the collector never reads half a file); returns its path. */
export function writePromFile(dir: string, input: PromInput): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `daqflow_${metricStage(input.stage)}.prom`);
  writeFileAtomicSync(file, promText(input));
  return file;
}
