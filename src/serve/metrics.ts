// /metrics: Prometheus text — per stage runs by state, the last contiguous run (ledger) and the last pass (duration,
// end, exit code, run counts), jobs by state, per route request counts and latency histograms, and the data-load queue.
import fs from 'node:fs';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { readLastPasses, type LastPass } from '../pass/last-pass.js';
import { Ledger } from '../pass/ledger.js';
import { PROCESS_STATES, type RunStore } from '../rundb/index.js';

export interface ServeMetrics {
  registry: Registry;
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  loads: { inFlight: Gauge; queued: Gauge; peak: Gauge; refused: Counter };
}

const JOB_STATES = ['claimed', 'submitted', 'running'] as const;

export interface MetricsSources {
  store: RunStore;
  stages: readonly string[];
  stateDir: string;
}

/** Stage names with a ledger file in the state folder (`<stage>.json`). */
function ledgerStages(stateDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(stateDir);
  } catch {
    return [];
  }
  return names.filter((n) => /^[A-Za-z_][A-Za-z0-9_]*\.json$/.test(n)).map((n) => n.slice(0, -'.json'.length));
}

export function createServeMetrics(sources: MetricsSources): ServeMetrics {
  const registry = new Registry();
  const requests = new Counter({ name: 'daqflow_serve_requests_total', help: 'HTTP requests answered, by route, method and status', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const latency = new Histogram({
    name: 'daqflow_serve_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route',
    labelNames: ['route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'daqflow_stage_runs',
    help: 'Runs in the runs DB by stage and state (pending includes runs the stage has not touched)',
    labelNames: ['stage', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const stage of sources.stages) {
        for (const state of PROCESS_STATES) this.set({ stage, state }, await sources.store.countRuns({ stage, states: [state], userFilter: false }));
      }
    },
  });
  new Gauge({
    name: 'daqflow_jobs',
    help: 'Processing jobs by state (runs of the process stage that a job owns)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      for (const state of JOB_STATES) this.set({ state }, await sources.store.countRuns({ stage: 'process', states: [state], userFilter: false }));
    },
  });
  new Gauge({
    name: 'daqflow_stage_last_contiguous_run',
    help: "The stage ledger's last contiguous run (every existing run up to it is done)",
    labelNames: ['stage'],
    registers: [registry],
    collect() {
      this.reset();
      for (const stage of ledgerStages(sources.stateDir)) {
        try {
          const last = Ledger.load(sources.stateDir, stage).lastContiguousRun;
          if (last !== null) this.set({ stage }, last);
        } catch {
          // a corrupt ledger is reported by the stage itself; the metric is left out
        }
      }
    },
  });
  lastPassGauges(registry, sources.stateDir);
  const loads = {
    inFlight: new Gauge({ name: 'daqflow_serve_loads_in_flight', help: 'Data loads running now', registers: [registry] }),
    queued: new Gauge({ name: 'daqflow_serve_loads_queued', help: 'Data loads waiting for a slot', registers: [registry] }),
    peak: new Gauge({ name: 'daqflow_serve_loads_in_flight_max', help: 'Most data loads that ran at the same time since start', registers: [registry] }),
    refused: new Counter({ name: 'daqflow_serve_loads_refused_total', help: 'Data loads refused because the queue was full', registers: [registry] }),
  };
  return {
    registry,
    loads,
    observeRequest(route, method, status, seconds) {
      requests.inc({ route, method, status: String(status) });
      latency.observe({ route }, seconds);
    },
  };
}

/** One gauge per figure of each stage's last pass (state/<stage>.last-pass.json), read afresh at every scrape. */
function lastPassGauges(registry: Registry, stateDir: string): void {
  const figures: [name: string, help: string, value: (p: LastPass) => number][] = [
    ['daqflow_pass_duration_seconds', "Duration of the stage's last finished pass", (p) => p.duration_s],
    ['daqflow_pass_last_end_timestamp_seconds', "When the stage's last pass ended (Unix time)", (p) => Date.parse(p.ended_at) / 1000],
    ['daqflow_pass_last_start_timestamp_seconds', "When the stage's last pass started (Unix time)", (p) => Date.parse(p.started_at) / 1000],
    ['daqflow_pass_last_exit_code', "Exit code the stage's last pass earned (0 ok, 1 runs failed, 143/130 interrupted, 3/4 stopped)", (p) => p.exit_code],
  ];
  for (const [name, help, value] of figures) {
    new Gauge({
      name, help, labelNames: ['stage'], registers: [registry],
      collect() {
        this.reset();
        for (const pass of readLastPasses(stateDir)) this.set({ stage: pass.stage }, value(pass));
      },
    });
  }
  new Gauge({
    name: 'daqflow_pass_last_runs',
    help: "Runs in the stage's last pass by result (candidates, done, failed, skipped, pending, aborted)",
    labelNames: ['stage', 'result'],
    registers: [registry],
    collect() {
      this.reset();
      for (const pass of readLastPasses(stateDir)) for (const [result, n] of Object.entries(pass.counts)) this.set({ stage: pass.stage, result }, n);
    },
  });
}
