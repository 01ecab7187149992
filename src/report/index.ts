// The status report (report-status, and daqflow serve's status page and /api/report) and ledger recovery (recover-state).
export { buildReport, scanAll, truthsOf, type BuildReportOptions } from './build.js';
export { renderReportHtml } from './html.js';
export { formatReportText } from './text.js';
export { reportSchema, reportJsonSchema, REPORT_FORMAT, type Report, type StageReport, type SourceReport, type Recommendation } from './schema.js';
export { recoverState, RECOVER_STAGES, type RecoverOptions, type RecoverResult } from './recover.js';
