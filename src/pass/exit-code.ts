// The exit code a finished pass earns: interrupted 130/143, some runs failed 1, else 0.
import { EXIT } from '../errors.js';
import type { PassSummary } from './summary.js';

export function exitCodeForSummary(summary: Pick<PassSummary, 'interrupted' | 'failed'>): number {
  if (summary.interrupted === 'SIGINT') return EXIT.sigint;
  if (summary.interrupted) return EXIT.sigterm;
  return summary.failed.length > 0 ? EXIT.runsFailed : EXIT.ok;
}
