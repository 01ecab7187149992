// A migrate world: a config file, a sqlite runs DB with imported runs (as import leaves them), and the CLI run as a real process.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/index.js';
import { openRunStore, type RunDoc, type RunStore } from '../../../src/rundb/index.js';
import { formatRunId } from '../../../src/util/validate.js';
import { makeTmpDir } from '../../support/tmp.js';

export interface MigrateWorld {
  dir: string;
  configFile: string;
  liveDir: string;
  /** Open the runs DB (close it after use). */
  store(): Promise<RunStore>;
  /** Add runs as import records them: files inventory, run_record, import state done with its source folder. */
  addImportedRuns(runs: number[], options?: { extraBytes?: number }): Promise<void>;
  /** `daqflow <args> --config <file>` as a real process. */
  cli(args: string[], options?: { env?: Record<string, string>; onStderr?: (text: string, kill: () => void) => void }): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  ledger(stage: string): { last_contiguous_run: number | null; done_above: number[]; failed: Record<string, { reason: string }> } | null;
}

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const md5 = (b: Buffer): string => crypto.createHash('md5').update(b).digest('hex');

export function migrateWorld(config: Record<string, unknown>): MigrateWorld {
  const dir = makeTmpDir('daqflow-migrate-world-');
  const liveDir = path.join(dir, 'live');
  fs.mkdirSync(liveDir);
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, stringify({ work_dir: 'work', import: { source_dirs: [liveDir] }, retry: { base_delay_s: 0 }, ...config }));
  const store = () => openRunStore(loadConfig({ configPath: configFile, env: {} }).config);
  return {
    dir,
    configFile,
    liveDir,
    store,
    async addImportedRuns(runs, options = {}) {
      const s = await store();
      try {
        for (const run of runs) {
          const folder = path.join(liveDir, formatRunId(run));
          fs.mkdirSync(folder, { recursive: true });
          const files: Record<string, Buffer> = {
            'run_record.json': Buffer.from(JSON.stringify({ run_number: run, configuration: 'physics' })),
            'boot.fcl': Buffer.from(`run: ${run}\n`),
          };
          if (options.extraBytes) files['trace.txt'] = crypto.randomBytes(options.extraBytes);
          for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(folder, name), bytes);
          const doc: Partial<RunDoc> & { number: number } = {
            number: run,
            name: formatRunId(run),
            files: Object.entries(files).map(([name, bytes]) => ({ name, size: bytes.length, md5: md5(bytes) })),
            run_record: { run_record_json: { run_number: run } },
          };
          await s.upsertRun(doc);
          await s.updateStage(run, 'import', { set: { state: 'done', host: 'test', source: folder } });
        }
      } finally {
        await s.close();
      }
    },
    cli(args, options = {}) {
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [path.join(root, 'bin/daqflow.js'), ...args, '--config', configFile], {
          cwd: dir,
          env: { ...process.env, DAQFLOW_CONFIG: '', ...options.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => {
          stderr += d;
          options.onStderr?.(stderr, () => child.kill('SIGKILL'));
        });
        child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
    },
    ledger(stage) {
      const file = path.join(dir, 'work', 'state', `${stage}.json`);
      return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
    },
  };
}

/** The archive data entry migrate recorded for a run, if any. */
export function archiveEntry(doc: RunDoc | null): Record<string, unknown> | undefined {
  return doc?.data?.find((d) => d.type === 'archive');
}
