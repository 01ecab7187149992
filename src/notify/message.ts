// One message per pass and channel: host, stage, time, counts, then each event with the first items listed.
import { titleOf, type NotifyEvent, type PassReport } from './events.js';

export interface Message {
  subject: string;
  text: string;
}

export function formatMessage(report: PassReport, events: readonly NotifyEvent[], when: Date, maxListed: number): Message {
  const s = report.summary;
  const what = events.map((e) => titleOf(e).split(':')[0]).join('; ');
  const subject = `[daqflow] ${report.stage} on ${report.host}: ${what}`;
  const lines = [`host: ${report.host}`, `stage: ${report.stage}`, `time: ${when.toISOString()}`];
  if (s) {
    lines.push(`counts: ${s.done.length} done, ${s.failed.length} failed, ${s.skipped.length} skipped, ${s.pending.length} pending of ${s.candidates} candidates; last contiguous run ${s.last_contiguous_run ?? 'none'}`);
  }
  for (const e of events) {
    lines.push('', titleOf(e));
    for (const item of e.items.slice(0, maxListed)) lines.push(`  ${item}`);
    if (e.items.length > maxListed) lines.push(`  … and ${e.items.length - maxListed} more`);
  }
  return { subject, text: lines.join('\n') + '\n' };
}
