// After every pass: metrics (Carbon, Prometheus) and notifications (e-mail, Slack) with a cooldown. Never throws.
import os from 'node:os';
import { workPaths } from '../config/resolve-paths.js';
import type { Config } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { PassSummary } from '../pass/index.js';
import { carbonLines, sendCarbon } from './carbon.js';
import { Cooldown } from './cooldown.js';
import { diskUsage, type StatFs } from './disk.js';
import { sendEmail } from './email.js';
import { collectEvents, type NotifyEvent, type PassReport } from './events.js';
import { passFigures } from './figures.js';
import { formatMessage, type Message } from './message.js';
import { writePromFile } from './prometheus.js';
import { sendSlack } from './slack.js';

export interface ReportOptions {
  config: Config;
  logger: Logger;
  stage: string;
  summary: PassSummary | null;
  /** The error that stopped the pass (service down, corrupt ledger …), when it did not finish. */
  error?: { message: string; exitCode: number } | null;
  now?: () => Date;
  statfs?: StatFs;
  env?: NodeJS.ProcessEnv;
  /** Runs by processing state for the Prometheus file (auto-process), or null. */
  runsByState?: () => Promise<Record<string, number> | null>;
}

export interface ReportResult {
  events: NotifyEvent[];
  /** Channels that sent a message in this call. */
  sent: string[];
  failed: string[];
}

type Channel = { name: string; send: (m: Message) => Promise<void> };

function channelsOf(config: Config, env: NodeJS.ProcessEnv): Channel[] {
  const out: Channel[] = [];
  if (config.notify.email.enabled) out.push({ name: 'email', send: (m) => sendEmail(config.notify.email, m, env) });
  if (config.notify.slack.enabled) out.push({ name: 'slack', send: (m) => sendSlack(config.notify.slack, m) });
  return out;
}

/** Each step is isolated: a failure is one log line and the pass's result and saved state stay as they are. */
export async function reportPass(options: ReportOptions): Promise<ReportResult> {
  const { config, logger: log } = options;
  const now = (options.now ?? (() => new Date()))();
  const host = options.summary?.host ?? config.host ?? os.hostname();
  const result: ReportResult = { events: [], sent: [], failed: [] };
  if (options.summary && !options.summary.dry_run) await writeMetrics(options, options.summary, now, log);
  const channels = channelsOf(config, options.env ?? process.env);
  if (channels.length === 0) return result;
  try {
    const paths = workPaths(config);
    const disks = await diskUsage([paths.liveDir, ...paths.storageDirs, paths.workDir], options.statfs).catch((error: unknown) => {
      log.warn(`notify: could not measure disk usage (${errorMessage(error)})`);
      return [];
    });
    const report: PassReport = { stage: options.stage, host, summary: options.summary, error: options.error ?? null, disks, maxUsedFraction: config.notify.disk_max_used_fraction };
    result.events = collectEvents(report);
    if (result.events.length === 0) return result;
    const cooldown = Cooldown.load(paths.stateDir, config.notify.cooldown_min);
    for (const channel of channels) {
      const due = cooldown.due(channel.name, result.events, now);
      if (due.length === 0) {
        log.debug(`notify: ${channel.name}: every condition was sent within the last ${config.notify.cooldown_min} min`);
        continue;
      }
      try {
        await channel.send(formatMessage(report, due, now, config.notify.max_runs_listed));
        cooldown.markSent(channel.name, due, now);
        result.sent.push(channel.name);
        log.info(`notify: ${channel.name}: sent ${due.map((e) => e.kind).join(', ')}`);
      } catch (error) {
        result.failed.push(channel.name);
        log.error(`notify: ${channel.name} failed (${errorMessage(error)}); the pass's state is saved, the message is tried again next pass`);
      }
    }
    cooldown.save(now);
  } catch (error) {
    log.error(`notify: ${errorMessage(error)} (the pass's state is saved)`);
  }
  return result;
}

async function writeMetrics(options: ReportOptions, summary: PassSummary, now: Date, log: Logger): Promise<void> {
  const { metrics } = options.config;
  const figures = passFigures(summary);
  if (metrics.carbon.enabled) {
    await sendCarbon(metrics.carbon, carbonLines(metrics.carbon.prefix, summary.stage, figures, now)).catch((error: unknown) =>
      log.error(`metrics: Carbon at ${metrics.carbon.host}:${metrics.carbon.port} failed (${errorMessage(error)}); the pass's state is saved`),
    );
  }
  if (metrics.prometheus_dir) {
    try {
      const byState = options.runsByState ? await options.runsByState() : null;
      writePromFile(metrics.prometheus_dir, { stage: summary.stage, host: summary.host, figures, when: now, byState });
    } catch (error) {
      log.error(`metrics: Prometheus textfile in ${metrics.prometheus_dir} failed (${errorMessage(error)}); the pass's state is saved`);
    }
  }
}
