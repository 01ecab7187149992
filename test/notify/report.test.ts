// reportPass against real listeners: SMTP, a webhook standing in for Slack, a Carbon TCP listener, a Prometheus textfile.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { configSchema, type Config } from '../../src/config/schema.js';
import { memoryLogger } from '../../src/log/memory.js';
import { reportPass } from '../../src/notify/index.js';
import { emptySummary, type PassSummary } from '../../src/pass/index.js';
import { makeTmpDir } from '../support/tmp.js';
import { parsePromText, startSmtp, startTcp, useNotifySinks } from './servers.js';

const T0 = new Date('2026-11-21T06:00:00Z');
const later = (min: number) => new Date(T0.getTime() + min * 60_000);
/** Disks far from full, so only the pass's own events are reported. */
const roomyDisk = async () => ({ freeBytes: 900e9, totalBytes: 1000e9 });

function failedSummary(stage: string, runs: number[], extra: Partial<PassSummary> = {}): PassSummary {
  const s = emptySummary(stage, { mode: 'incremental', host: 'eb1', started: T0 });
  s.candidates = runs.length + 2;
  s.done.push({ run: 1, duration_s: 1 }, { run: 2, duration_s: 1 });
  for (const run of runs) s.failed.push({ run, duration_s: 0.5, reason: `run ${run}: malformed YAML`, n_failures: 1 });
  s.duration_s = 30;
  s.last_contiguous_run = 2;
  return Object.assign(s, extra);
}

function configFor(work: string, notify: Record<string, unknown>, metrics: Record<string, unknown> = {}): Config {
  return configSchema.parse({ work_dir: work, host: 'eb1', notify, metrics });
}

const sinks = useNotifySinks();

describe('notifications', () => {
  test('an e-mail with host, stage, time, counts and the failed runs reaches the SMTP server', async () => {
    const work = makeTmpDir();
    const config = configFor(work, { email: { enabled: true, smtp_host: '127.0.0.1', smtp_port: sinks.smtp.port, user: 'daq', password: 'pw-right', from: 'daqflow@eb1', to: ['shifter@lab.org'] } });
    const before = sinks.smtp.mails.length;
    const result = await reportPass({ config, logger: memoryLogger(), stage: 'import', summary: failedSummary('import', [12100, 12101]), now: () => T0, statfs: roomyDisk });
    expect(result.sent).toEqual(['email']);
    const mail = sinks.smtp.mails[before]!;
    expect(mail.to).toEqual(['shifter@lab.org']);
    expect(mail.from).toBe('daqflow@eb1');
    expect(mail.subject).toBe('[daqflow] import on eb1: 2 runs failed');
    expect(mail.body).toContain('host: eb1\nstage: import\ntime: 2026-11-21T06:00:00.000Z\n');
    expect(mail.body).toContain('counts: 2 done, 2 failed, 0 skipped, 0 pending of 4 candidates; last contiguous run 2');
    expect(mail.body).toContain('  012100: run 12100: malformed YAML (failure 1)\n  012101: run 12101: malformed YAML (failure 1)\n');
  });

  test('STARTTLS: the login and mail go over TLS; a certificate that cannot be verified is refused and logged', async () => {
    const tlsSmtp = await startSmtp('daq', 'pw-right', { starttls: true });
    try {
      const email = { enabled: true, smtp_host: '127.0.0.1', smtp_port: tlsSmtp.port, starttls: 'require', user: 'daq', password: 'pw-right', to: ['shifter@lab.org'] };
      const unverified = await reportPass({ config: configFor(makeTmpDir(), { email: { ...email, tls_verify: false } }), logger: memoryLogger(), stage: 'import', summary: failedSummary('import', [3]), now: () => T0, statfs: roomyDisk });
      expect(unverified.sent).toEqual(['email']);
      expect(tlsSmtp.mails.map((m) => m.secure)).toEqual([true]);
      const log = memoryLogger();
      const verified = await reportPass({ config: configFor(makeTmpDir(), { email }), logger: log, stage: 'import', summary: failedSummary('import', [3]), now: () => T0, statfs: roomyDisk });
      expect(verified.failed).toEqual(['email']);
      expect(log.messages('error')[0]).toMatch(/^notify: email failed \(.*(self[- ]signed|certificate)/i);
      expect(tlsSmtp.mails).toHaveLength(1);
    } finally {
      await tlsSmtp.close();
    }
  });

  test('wrong SMTP credentials are logged without the password, and the condition is tried again next pass', async () => {
    const work = makeTmpDir();
    const config = configFor(work, { email: { enabled: true, smtp_host: '127.0.0.1', smtp_port: sinks.smtp.port, user: 'daq', password: 'pw-wrong', to: ['shifter@lab.org'] } });
    const log = memoryLogger();
    const before = { mails: sinks.smtp.mails.length, refused: sinks.smtp.refused };
    const result = await reportPass({ config, logger: log, stage: 'import', summary: failedSummary('import', [12100]), now: () => T0, statfs: roomyDisk });
    expect(result.failed).toEqual(['email']);
    expect(sinks.smtp.refused).toBe(before.refused + 1);
    expect(sinks.smtp.mails.length).toBe(before.mails);
    const errors = log.messages('error');
    expect(errors.some((m) => m.startsWith('notify: email failed') && m.includes('Invalid username or password'))).toBe(true);
    expect(errors.join('\n')).not.toContain('pw-wrong');
    const state = JSON.parse(fs.readFileSync(path.join(work, 'state', 'notify.json'), 'utf8'));
    expect(state.sent).toEqual({});
  });

  test('the Slack payload reaches the webhook; HTTP 500 and 429 are logged and the message is sent by a later pass', async () => {
    const work = makeTmpDir();
    const config = configFor(work, { slack: { enabled: true, webhook_url: sinks.hook.url } });
    const log = memoryLogger();
    const summary = failedSummary('migrate', [12100]);
    const start = sinks.hook.bodies.length;
    sinks.hook.statuses.push(500, 429);
    for (const [i, status] of [500, 429].entries()) {
      const r = await reportPass({ config, logger: log, stage: 'migrate', summary, now: () => later(i), statfs: roomyDisk });
      expect(r.failed, `HTTP ${status}`).toEqual(['slack']);
      expect(log.messages('error').at(-1)).toMatch(new RegExp(`^notify: slack failed \\(.*${status}`));
    }
    const ok = await reportPass({ config, logger: log, stage: 'migrate', summary, now: () => later(2), statfs: roomyDisk });
    expect(ok.sent).toEqual(['slack']);
    expect(sinks.hook.bodies.length).toBe(start + 3);
    const payload = JSON.parse(sinks.hook.bodies.at(-1)!) as { text: string };
    expect(payload.text).toContain('*[daqflow] migrate on eb1: 1 runs failed*');
    expect(payload.text).toContain('012100: run 12100: malformed YAML');
    expect(log.messages().join('\n')).not.toContain('B000/secret');
  });

  test('the cooldown holds back a condition already sent; a new condition, or the cooldown running out, sends again', async () => {
    const work = makeTmpDir();
    const config = configFor(work, { cooldown_min: 60, slack: { enabled: true, webhook_url: sinks.hook.url } });
    const send = (runs: number[], at: Date) => reportPass({ config, logger: memoryLogger(), stage: 'rechunk', summary: failedSummary('rechunk', runs), now: () => at, statfs: roomyDisk });
    const start = sinks.hook.bodies.length;
    expect((await send([7], T0)).sent).toEqual(['slack']);
    expect((await send([7], later(10))).sent).toEqual([]);
    expect(sinks.hook.bodies.length).toBe(start + 1);
    expect((await send([7, 8], later(20))).sent).toEqual(['slack']);
    // Only the new condition is sent: run 7 is still cooling down.
    const second = JSON.parse(sinks.hook.bodies.at(-1)!).text as string;
    expect(second).toContain('1 runs failed');
    expect(second).toContain('000008');
    expect(second).not.toContain('000007');
    expect((await send([7, 8], later(30))).sent).toEqual([]);
    expect((await send([7, 8], later(61))).sent).toEqual(['slack']);
    const third = JSON.parse(sinks.hook.bodies.at(-1)!).text as string;
    expect(third).toContain('000007');
    expect(third).not.toContain('000008');
    expect(sinks.hook.bodies.length).toBe(start + 3);
  });

  test('a stage that could not run, dead hosts, runs that gave up and a full disk are each reported', async () => {
    const work = makeTmpDir();
    const config = configFor(work, { slack: { enabled: true, webhook_url: sinks.hook.url } });
    const summary = failedSummary('auto-process', [], { auto_process: { dead_hosts: ['eb5'], gave_up: [12100] } } as never);
    const full = async () => ({ freeBytes: 20e9, totalBytes: 1000e9 });
    const r = await reportPass({ config, logger: memoryLogger(), stage: 'auto-process', summary, now: () => T0, statfs: full });
    expect(r.events.map((e) => e.kind)).toEqual(['gave_up', 'dead_hosts', 'disk_full']);
    const text = JSON.parse(sinks.hook.bodies.at(-1)!).text as string;
    expect(text).toContain('1 runs reached the failure maximum');
    expect(text).toContain('  eb5');
    expect(text).toMatch(/98\.0 % used, 20\.0 GB free/);
    const down = await reportPass({
      config, logger: memoryLogger(), stage: 'migrate', summary: null, error: { message: 'archive unreachable at http://a:1', exitCode: 4 }, now: () => T0, statfs: roomyDisk,
    });
    expect(down.sent).toEqual(['slack']);
    expect(JSON.parse(sinks.hook.bodies.at(-1)!).text).toContain('migrate could not run (exit 4): archive unreachable at http://a:1');
  });

  test('a dry run reports no runs', async () => {
    const config = configFor(makeTmpDir(), { slack: { enabled: true, webhook_url: sinks.hook.url } });
    const r = await reportPass({ config, logger: memoryLogger(), stage: 'import', summary: failedSummary('import', [5], { dry_run: true }), now: () => T0, statfs: roomyDisk });
    expect(r.events).toEqual([]);
  });
});

describe('metrics', () => {
  test('Carbon receives one plaintext line per figure of the stage', async () => {
    const config = configFor(makeTmpDir(), {}, { carbon: { enabled: true, host: '127.0.0.1', port: sinks.carbon.port, prefix: 'xams.daq' } });
    const before = sinks.carbon.received.length;
    await reportPass({ config, logger: memoryLogger(), stage: 'auto-process', summary: failedSummary('auto-process', [9]), now: () => T0 });
    await sinks.carbon.waitFor(before + 1);
    const t = T0.getTime() / 1000;
    expect(sinks.carbon.received[before]!.split('\n').filter(Boolean)).toEqual([
      `xams.daq.auto_process.runs_done 2 ${t}`,
      `xams.daq.auto_process.runs_failed 1 ${t}`,
      `xams.daq.auto_process.runs_pending 0 ${t}`,
      `xams.daq.auto_process.runs_skipped 0 ${t}`,
      `xams.daq.auto_process.last_contiguous_run 2 ${t}`,
      `xams.daq.auto_process.duration_seconds 30 ${t}`,
      `xams.daq.auto_process.throughput_runs_per_minute 4 ${t}`,
    ]);
  });

  test('an unreachable Carbon server is logged; the Prometheus file is still written', async () => {
    const closed = await startTcp();
    await closed.close();
    const dir = path.join(makeTmpDir(), 'textfile');
    const config = configFor(makeTmpDir(), {}, { carbon: { enabled: true, host: '127.0.0.1', port: closed.port }, prometheus_dir: dir });
    const log = memoryLogger();
    await reportPass({ config, logger: log, stage: 'import', summary: failedSummary('import', []), now: () => T0 });
    expect(log.messages('error').some((m) => m.startsWith(`metrics: Carbon at 127.0.0.1:${closed.port} failed`))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'daqflow_import.prom'))).toBe(true);
  });

  test('the Prometheus textfile parses back to the same figures, with runs by state', async () => {
    const dir = path.join(makeTmpDir(), 'textfile');
    const config = configFor(makeTmpDir(), {}, { prometheus_dir: dir });
    const byState = { pending: 4, submitted: 2, running: 1, done: 10, failed: 1 };
    await reportPass({ config, logger: memoryLogger(), stage: 'auto-process', summary: failedSummary('auto-process', [9]), now: () => T0, runsByState: async () => byState });
    const files = fs.readdirSync(dir);
    expect(files).toEqual(['daqflow_auto_process.prom']);
    const { samples, types } = parsePromText(fs.readFileSync(path.join(dir, files[0]!), 'utf8'));
    const l = 'stage="auto-process",host="eb1"';
    expect(samples.get(`daqflow_runs_done{${l}}`)).toBe(2);
    expect(samples.get(`daqflow_runs_failed{${l}}`)).toBe(1);
    expect(samples.get(`daqflow_last_contiguous_run{${l}}`)).toBe(2);
    expect(samples.get(`daqflow_duration_seconds{${l}}`)).toBe(30);
    expect(samples.get(`daqflow_throughput_runs_per_minute{${l}}`)).toBe(4);
    expect(samples.get(`daqflow_last_pass_timestamp_seconds{${l}}`)).toBe(T0.getTime() / 1000);
    for (const [state, n] of Object.entries(byState)) expect(samples.get(`daqflow_runs_by_state{${l},state="${state}"}`)).toBe(n);
    expect(types.get('daqflow_runs_done')).toBe('gauge');
  });
});
