// Notifications (e-mail, Slack) and metrics (Carbon, Prometheus textfile) after every pass.
export { reportPass, type ReportOptions, type ReportResult } from './report.js';
export { collectEvents, type NotifyEvent, type PassReport } from './events.js';
export { Cooldown } from './cooldown.js';
export { formatMessage, type Message } from './message.js';
export { passFigures, type PassFigures } from './figures.js';
export { carbonLines, sendCarbon } from './carbon.js';
export { promText, writePromFile } from './prometheus.js';
export { diskUsage, systemStatFs, type DiskUsage, type StatFs } from './disk.js';
