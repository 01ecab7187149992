// `npm run demo` end to end, in a temporary work folder: every good run processed, rechunked and archived; the corrupt one failed with its reason and given up.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { makeTmpDir } from '../support/tmp.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const daqflow = path.join(root, 'bin', 'daqflow.js');
const env = { ...process.env, DAQFLOW_CONFIG: '' };

async function runsList(workDir: string, stage: string): Promise<Map<number, { state: string; n_failures: number; reason: string | null }>> {
  const r = await execa(process.execPath, [daqflow, '-c', path.join(workDir, 'demo-config.yaml'), 'runs', 'list', '--stage', stage, '--json', '-q'], { env });
  return new Map(JSON.parse(r.stdout).runs.map((x: { run: number }) => [x.run, x]));
}

describe('the demo', () => {
  it('runs fake-daq → import → auto-process → rechunk → migrate → report-status --html on the embedded defaults', async () => {
    const workDir = path.join(makeTmpDir(), 'daqflow-work');
    const result = await execa(process.execPath, [path.join(root, 'scripts', 'demo.mjs'), '--work-dir', workDir], { env, reject: false, all: true });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toMatch(/demo finished in [\d.]+ s/);
    expect(result.stdout).toMatch(/corrupted run 012102: live_data\/012102\/000000\/\S+ cut from \d+ to \d+ bytes/);

    const process_ = await runsList(workDir, 'process');
    const migrate = await runsList(workDir, 'migrate');
    const rechunk = await runsList(workDir, 'rechunk');
    for (const run of [12100, 12101, 12103, 12104]) {
      expect(process_.get(run)?.state).toBe('done');
      expect(rechunk.get(run)?.state).toBe('done');
      expect(migrate.get(run)?.state).toBe('done');
      expect(fs.existsSync(path.join(workDir, 'archive', `${String(run).padStart(6, '0')}.tar`))).toBe(true);
      expect(fs.readdirSync(path.join(workDir, 'strax_production')).filter((d) => d.startsWith(`0${run}-event_info-`))).toHaveLength(1);
    }
    // The corrupt run: failed with the reader's reason, given up after auto_process.max_failures (3), not retried forever.
    const bad = process_.get(12102)!;
    expect(bad.state).toBe('failed');
    expect(bad.n_failures).toBe(3);
    expect(bad.reason).toMatch(/live_data\/012102\/000000\/\S+: live file is damaged: truncated LZ4 frame/);
    const again = await execa(process.execPath, [daqflow, '-c', path.join(workDir, 'demo-config.yaml'), 'auto-process', '--json', '-q'], { env });
    expect(JSON.parse(again.stdout).auto_process.submitted).toEqual([]);
    expect((await runsList(workDir, 'process')).get(12102)?.n_failures).toBe(3);
    // The printed table names every run and where it stands.
    expect(result.stdout).toMatch(/^012102 +done +failed +\S+ +done +.*live file is damaged/m);
    expect(result.stdout).toMatch(/^012100 +done +done +done +done/m);
    // report-status: the text report names the failed run, and the HTML page is written where the demo says.
    expect(result.stdout).toMatch(/012102 .*live file is damaged/);
    expect(result.stdout).toContain(`HTML report: ${path.join(workDir, 'status.html')}`);
    const html = fs.readFileSync(path.join(workDir, 'status.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).toContain('012102');
  }, 180_000);

  it('refuses a non-empty work folder it did not make, and leaves it as it was', async () => {
    const workDir = makeTmpDir();
    fs.writeFileSync(path.join(workDir, 'precious.txt'), 'keep me');
    const result = await execa(process.execPath, [path.join(root, 'scripts', 'demo.mjs'), '--work-dir', workDir], { env, reject: false });
    expect(result.exitCode).toBe(3);
    expect(result.stderr.trim()).toBe(`demo: ${workDir} is not empty and was not made by the demo; move it away or give --work-dir`);
    expect(fs.readdirSync(workDir)).toEqual(['precious.txt']);
  });
});
