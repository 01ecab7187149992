// Every stage command reports through one wrapper: the built CLI, real passes, real listeners; notify never changes the outcome.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { makeTmpDir } from '../support/tmp.js';
import { startCli, writeRun } from '../stages/import-helpers.js';
import { parsePromText, useNotifySinks } from './servers.js';

const sinks = useNotifySinks();

/** A work dir with runs 1 and 2 ready to import; run 2's settings.yaml is malformed, so its import fails. */
function world(extra: string): { dir: string; configFile: string } {
  const dir = makeTmpDir();
  const source = path.join(dir, 'runs');
  writeRun(source, 1);
  const bad = writeRun(source, 2);
  fs.writeFileSync(path.join(bad, 'run_record', 'settings.yaml'), 'detector: [tpc\n');
  const passwordFile = path.join(dir, 'smtp-password');
  fs.writeFileSync(passwordFile, 'pw-right\n', { mode: 0o600 });
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, [
    `work_dir: ${dir}/work`, 'host: test-host', 'import:', `  source_dirs: [${source}]`, '  settle_minutes: 0',
    extra.replaceAll('PASSWORD_FILE', passwordFile),
  ].join('\n') + '\n');
  return { dir, configFile };
}

const email = (password: string) => `notify:
  email:
    enabled: true
    smtp_host: 127.0.0.1
    smtp_port: ${sinks.smtp.port}
    user: daq
    ${password}
    to: [shifter@lab.org]
`;

describe('stage passes report after saving their state', () => {
  test('import: the failed run is mailed, Carbon and Prometheus get the figures, the exit code stays 1', async () => {
    const w = world(`${email('password_file: PASSWORD_FILE')}metrics:\n  carbon:\n    enabled: true\n    host: 127.0.0.1\n    port: ${sinks.carbon.port}\n  prometheus_dir: PROM\n`.replace('PROM', path.join(makeTmpDir(), 'prom')));
    const mails = sinks.smtp.mails.length;
    const lines = sinks.carbon.received.length;
    const r = await startCli(['import', '--config', w.configFile]).done;
    expect(r.code, r.stderr).toBe(1);
    expect(sinks.smtp.mails.length).toBe(mails + 1);
    const mail = sinks.smtp.mails.at(-1)!;
    expect(mail.subject).toBe('[daqflow] import on test-host: 1 runs failed');
    expect(mail.body).toContain('stage: import\n');
    expect(mail.body).toMatch(/\n {2}000002: .*settings\.yaml: malformed YAML.*\(failure 1\)\n/);
    await sinks.carbon.waitFor(lines + 1);
    expect(sinks.carbon.received[lines]).toMatch(/^daqflow\.import\.runs_done 1 \d+\ndaqflow\.import\.runs_failed 1 \d+\n/);
    const prom = /prometheus_dir: (.*)/.exec(fs.readFileSync(w.configFile, 'utf8'))![1]!;
    const { samples } = parsePromText(fs.readFileSync(path.join(prom, 'daqflow_import.prom'), 'utf8'));
    expect(samples.get('daqflow_runs_failed{stage="import",host="test-host"}')).toBe(1);
    expect(samples.get('daqflow_last_contiguous_run{stage="import",host="test-host"}')).toBe(1);
  });

  test('import with a refused SMTP login: logged, the ledger holds the pass, the exit code stays 1, the mail is tried next time', async () => {
    const w = world(email('password: pw-wrong'));
    const refused = sinks.smtp.refused;
    const r = await startCli(['import', '--config', w.configFile]).done;
    expect(r.code, r.stderr).toBe(1);
    expect(sinks.smtp.refused).toBe(refused + 1);
    expect(r.stderr).toMatch(/notify: email failed \(.*Invalid username or password.*\); the pass's state is saved/);
    expect(r.stderr).not.toContain('pw-wrong');
    const ledger = JSON.parse(fs.readFileSync(path.join(w.dir, 'work', 'state', 'import.json'), 'utf8'));
    expect(ledger.last_contiguous_run).toBe(1);
    expect(Object.keys(ledger.failed)).toEqual(['2']);
    expect(JSON.parse(fs.readFileSync(path.join(w.dir, 'work', 'state', 'notify.json'), 'utf8')).sent).toEqual({});
  });

  test('a stage that cannot run (corrupt ledger) is reported to Slack and still exits 3', async () => {
    const w = world(`notify:\n  slack:\n    enabled: true\n    webhook_url: ${sinks.hook.url}\n`);
    fs.mkdirSync(path.join(w.dir, 'work', 'state'), { recursive: true });
    fs.writeFileSync(path.join(w.dir, 'work', 'state', 'import.json'), '{"format": "daqflow-ledger/1", "stage": "imp');
    const before = sinks.hook.bodies.length;
    const r = await startCli(['import', '--config', w.configFile]).done;
    expect(r.code, r.stderr).toBe(3);
    expect(sinks.hook.bodies.length).toBe(before + 1);
    const text = JSON.parse(sinks.hook.bodies.at(-1)!).text as string;
    expect(text).toContain('import could not run (exit 3)');
    expect(text).toContain('ledger is corrupt');
  });

  test('migrate with its archive unmounted reports "could not run" and exits 4', async () => {
    const w = world(`archive:\n  path: /nonexistent/archive\nnotify:\n  slack:\n    enabled: true\n    webhook_url: ${sinks.hook.url}\n`);
    const before = sinks.hook.bodies.length;
    const r = await startCli(['migrate', '--config', w.configFile]).done;
    expect(r.code, r.stderr).toBe(4);
    expect(sinks.hook.bodies.length).toBe(before + 1);
    expect(JSON.parse(sinks.hook.bodies.at(-1)!).text).toContain('migrate could not run (exit 4): archive folder /nonexistent/archive is not usable');
  });

  test('auto-process writes its figures and the runs by processing state to the Prometheus folder', async () => {
    const prom = path.join(makeTmpDir(), 'prom');
    const w = world(`metrics:\n  prometheus_dir: ${prom}\n`);
    expect((await startCli(['import', '--config', w.configFile]).done).code).toBe(1);
    const r = await startCli(['auto-process', '--config', w.configFile, '--dry-run']).done;
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(prom, 'daqflow_auto_process.prom'))).toBe(false); // dry runs send no metrics
    const real = await startCli(['auto-process', '--config', w.configFile, '--set', 'scheduler.daqflow_command=["true"]']).done;
    expect(real.code, real.stderr).toBe(0);
    const { samples } = parsePromText(fs.readFileSync(path.join(prom, 'daqflow_auto_process.prom'), 'utf8'));
    const l = 'stage="auto_process",host="test-host"';
    // Run 1 was imported and is now submitted; run 2 (its import failed) waits in pending.
    expect(samples.get(`daqflow_runs_pending{${l}}`)).toBe(1);
    expect(samples.get(`daqflow_runs_by_state{${l},state="pending"}`)).toBe(1);
    expect(samples.get(`daqflow_runs_by_state{${l},state="submitted"}`)! + samples.get(`daqflow_runs_by_state{${l},state="running"}`)! + samples.get(`daqflow_runs_by_state{${l},state="done"}`)!).toBe(1);
    expect(samples.get(`daqflow_runs_by_state{${l},state="failed"}`)).toBe(0);
  });
});
