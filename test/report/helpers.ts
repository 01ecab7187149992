// A report world: run folders, a filesystem archive, a sqlite runs DB filled by real import/migrate passes, the CLI as a real process.
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/schema.js';
import { openRunStore, type RunStore } from '../../src/rundb/index.js';
import { startCli, writeRun } from '../stages/import-helpers.js';
import { makeTmpDir } from '../support/tmp.js';

export interface ReportWorld {
  dir: string;
  source: string;
  archive: string;
  configFile: string;
  config(): Config;
  store(): Promise<RunStore>;
  /** `daqflow <args> --config <file>` as a real process (async: safe next to in-process servers). */
  cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  ledgerFile(stage: string): string;
  ledger(stage: string): LedgerJson;
  writeRun(run: number): void;
  /** A run whose run-record JSON cannot be parsed: its import fails. */
  writeBrokenRun(run: number): void;
}

export interface LedgerJson {
  format: string;
  stage: string;
  last_contiguous_run: number | null;
  done_above: number[];
  failed: Record<string, { n_failures: number; reason: string; last_attempt: string; next_retry: string | null }>;
  updated_at: string | null;
}

export function reportWorld(extra: Record<string, unknown> = {}): ReportWorld {
  const dir = makeTmpDir('daqflow-report-');
  const source = path.join(dir, 'runs');
  const archive = path.join(dir, 'archive');
  fs.mkdirSync(source);
  fs.mkdirSync(archive);
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, stringify({
    work_dir: 'work', host: 'report-host', import: { source_dirs: [source], settle_minutes: 0 }, archive: { kind: 'filesystem', path: archive },
    retry: { base_delay_s: 3600 }, ...extra,
  }));
  const config = () => loadConfig({ configPath: configFile, env: {} }).config;
  const ledgerFile = (stage: string) => path.join(dir, 'work', 'state', `${stage}.json`);
  return {
    dir, source, archive, configFile, config, ledgerFile,
    store: () => openRunStore(config()),
    cli: async (args) => startCli([...args, '--config', configFile], dir).done,
    ledger: (stage) => JSON.parse(fs.readFileSync(ledgerFile(stage), 'utf8')) as LedgerJson,
    writeRun: (run) => void writeRun(source, run),
    writeBrokenRun(run) {
      const folder = writeRun(source, run);
      fs.writeFileSync(path.join(folder, 'run_record', 'run_info.json'), '{"number": ' + run + ', "start": ');
    },
  };
}

/** A ledger without its write times, for comparing two histories. */
export function comparable(l: LedgerJson): unknown {
  return { ...l, updated_at: null, failed: Object.fromEntries(Object.entries(l.failed).map(([run, f]) => [run, { ...f, last_attempt: null }])) };
}
