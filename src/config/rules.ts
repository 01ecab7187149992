// Cross-field checks that a schema cannot express; each rule pushes errors or warnings with the key's dotted path.
import path from 'node:path';
import { ARCHIVE_PLACEHOLDERS, type Config } from './schema.js';
import type { Problem } from './problems.js';

export interface RuleReport {
  errors: Problem[];
  warnings: Problem[];
}

export interface RuleContext {
  /** Top-level sections the file (or --set) wrote; some checks only apply to sections a site uses. */
  written: ReadonlySet<string>;
}

type Rule = (config: Config, report: RuleReport, context: RuleContext) => void;

const jitterOrder: Rule = ({ retry }, { errors }) => {
  if (retry.jitter_min > retry.jitter_max) {
    errors.push({ path: ['retry', 'jitter_min'], message: `must be ≤ retry.jitter_max (${retry.jitter_min} > ${retry.jitter_max})` });
  }
};

const lockTimes: Rule = ({ pass }, { warnings }) => {
  if (pass.lock_update_s > pass.lock_stale_s / 2) {
    warnings.push({
      path: ['pass', 'lock_update_s'],
      message: `should be at most half of pass.lock_stale_s (${pass.lock_stale_s / 2}); otherwise a live lock can look stale`,
    });
  }
};

const heartbeatTimes: Rule = ({ auto_process: ap }, { warnings }) => {
  if (ap.dead_host_s < 3 * ap.heartbeat_s) {
    warnings.push({
      path: ['auto_process', 'dead_host_s'],
      message: `should be at least 3 × auto_process.heartbeat_s (${3 * ap.heartbeat_s}) and longer than the cron interval; otherwise a live host can be marked dead`,
    });
  }
};

const rundbConnection: Rule = ({ rundb }, { errors }) => {
  if (rundb.backend === 'mongo' && rundb.uri === null && rundb.uri_file === null) {
    errors.push({ path: ['rundb', 'uri'], message: 'rundb.backend is mongo, so set rundb.uri or rundb.uri_file' });
  }
  if (rundb.uri !== null && rundb.uri_file !== null) {
    errors.push({ path: ['rundb', 'uri_file'], message: 'set rundb.uri or rundb.uri_file, not both' });
  }
  if (rundb.uri !== null && !/^mongodb(\+srv)?:\/\//.test(rundb.uri)) {
    errors.push({ path: ['rundb', 'uri'], message: 'must start with mongodb:// or mongodb+srv://' });
  }
};

const processingCommand: Rule = ({ processing }, { errors }) => {
  if (processing.engine === 'command' && processing.command.length === 0) {
    errors.push({ path: ['processing', 'command'], message: 'processing.engine is command, so give the program and its arguments as a list' });
  }
};

const archiveTarget: Rule = ({ archive }, { warnings, errors }, { written }) => {
  if (!written.has('archive')) return;
  if (archive.kind === 'http' && archive.url === null) {
    warnings.push({ path: ['archive', 'url'], message: 'archive.kind is http but no url is set; migrate will refuse to run' });
  }
  if (archive.kind === 'filesystem' && archive.path === null) {
    warnings.push({ path: ['archive', 'path'], message: 'archive.kind is filesystem but no path is set; migrate will refuse to run' });
  }
  for (const key of ['url', 'file_name'] as const) {
    const template = archive[key];
    if (template === null) continue;
    const unknown = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!).filter((n) => !ARCHIVE_PLACEHOLDERS.includes(n));
    if (unknown.length) errors.push({ path: ['archive', key], message: `unknown placeholder {${unknown[0]}} (known: ${ARCHIVE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})` });
  }
  if (archive.password_env !== null && archive.password_file !== null) {
    errors.push({ path: ['archive', 'password_file'], message: 'archive.password_env is set too; keep one' });
  }
};

const serveAuth: Rule = ({ serve }, { errors }) => {
  if (serve.secret_env !== null && serve.secret_file !== null) errors.push({ path: ['serve', 'secret_file'], message: 'serve.secret_env is set too; keep one' });
  if (serve.auth !== 'none' && serve.secret_env === null && serve.secret_file === null) {
    errors.push({ path: ['serve', 'auth'], message: `serve.auth is ${serve.auth} but neither serve.secret_env nor serve.secret_file is set` });
  }
  if (serve.auth === 'basic' && serve.username === null) errors.push({ path: ['serve', 'username'], message: 'serve.auth is basic; set serve.username' });
};

const importPattern: Rule = (config, { errors }) => {
  try {
    new RegExp(config.import.run_pattern);
  } catch (error) {
    errors.push({ path: ['import', 'run_pattern'], message: `not a valid regular expression: ${(error as Error).message}` });
  }
};

const notifyChannels: Rule = ({ notify }, { errors }) => {
  if (notify.email.enabled && notify.email.to.length === 0) {
    errors.push({ path: ['notify', 'email', 'to'], message: 'notify.email.enabled is true, so list at least one address' });
  }
  const passwords = [notify.email.password !== null, notify.email.password_env !== null, notify.email.password_file !== null].filter(Boolean).length;
  if (passwords > 1) {
    errors.push({ path: ['notify', 'email', 'password'], message: 'set only one of notify.email.password, password_env and password_file' });
  }
  if (passwords > 0 && notify.email.user === null) {
    errors.push({ path: ['notify', 'email', 'user'], message: 'an SMTP password is configured, so set notify.email.user too' });
  }
  if (notify.slack.enabled && notify.slack.webhook_url === null) {
    errors.push({ path: ['notify', 'slack', 'webhook_url'], message: 'notify.slack.enabled is true, so set the webhook URL' });
  }
};

const degradeOrder: Rule = ({ auto_process }, { errors }) => {
  const steps = auto_process.degrade;
  for (let i = 1; i < steps.length; i++) {
    if (steps[i]!.after_failures <= steps[i - 1]!.after_failures) {
      errors.push({
        path: ['auto_process', 'degrade', i, 'after_failures'],
        message: `steps must have increasing after_failures (${steps[i]!.after_failures} after ${steps[i - 1]!.after_failures})`,
      });
    }
  }
};

const storageDirs: Rule = ({ storage }, { errors }) => {
  if (storage.dirs !== null && storage.dirs.length === 0) {
    errors.push({ path: ['storage', 'dirs'], message: 'must list at least one folder (or be null for <work_dir>/strax_data)' });
  }
};

/** Needs resolved (absolute) paths. */
const writeDirListed: Rule = ({ storage }, { warnings }) => {
  if (storage.write_dir !== null && storage.dirs !== null && !storage.dirs.map((d) => path.resolve(d)).includes(path.resolve(storage.write_dir))) {
    warnings.push({ path: ['storage', 'write_dir'], message: 'is not one of storage.dirs, so data written there will not be found when reading' });
  }
};

const RULES: Rule[] = [jitterOrder, lockTimes, heartbeatTimes, rundbConnection, processingCommand, archiveTarget, serveAuth, importPattern, notifyChannels, degradeOrder, storageDirs, writeDirListed];

export function checkRules(config: Config, context: RuleContext = { written: new Set(Object.keys(config)) }): RuleReport {
  const report: RuleReport = { errors: [], warnings: [] };
  for (const rule of RULES) rule(config, report, context);
  return report;
}
