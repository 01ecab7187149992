// Checks on what goes into and comes out of the runs database: run numbers, stage names, foreign documents.
import type { Logger } from '../log/index.js';
import { ConfigError } from '../errors.js';
import type { RunDoc } from './types.js';

const STAGE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function assertRunNumber(value: unknown, option = 'run number'): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ConfigError(`${option}: ${JSON.stringify(value)} is not a run number (a non-negative integer)`, { context: { option } });
  }
}

export function assertStage(stage: unknown): asserts stage is string {
  if (typeof stage !== 'string' || !STAGE.test(stage)) {
    throw new ConfigError(`stage: ${JSON.stringify(stage)} is not a stage name (letters, digits and _ only, e.g. process)`, {
      context: { option: 'stage' },
    });
  }
}

/** Why a stored document cannot be a RunDoc, or null when it can. */
export function runDocProblem(doc: Record<string, unknown>): string | null {
  const n = doc.number;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) return null;
  const type = n === null ? 'null' : Array.isArray(n) ? 'array' : typeof n === 'object' ? `${(n as { _bsontype?: string })._bsontype ?? 'object'}` : typeof n;
  return `number ${n === undefined ? 'is missing' : `is ${safeJson(n)} (${type})`}, not a non-negative integer`;
}

/**
 * Documents written by other software that are not valid runs are skipped with one warning each
 * (per store instance): one bad document must not stop every pass. The warning names the collection,
 * the document and what to do.
 */
export class BadDocReporter {
  private readonly seen = new Set<string>();
  constructor(
    private readonly logger: Logger,
    private readonly where: string,
  ) {}

  /** Returns the document as a RunDoc, or null after warning. */
  check(doc: Record<string, unknown>, id: string): RunDoc | null {
    const problem = runDocProblem(doc);
    return problem ? this.skip(doc, id, problem) : (doc as RunDoc);
  }

  /** Warns (once per document) that it is skipped; returns null. */
  skip(doc: Record<string, unknown>, id: string, problem: string): null {
    if (!this.seen.has(id)) {
      this.seen.add(id);
      const name = typeof doc.name === 'string' ? ` (name ${JSON.stringify(doc.name)})` : '';
      this.logger.warn(
        `runs DB ${this.where}: skipping run document ${id}${name}: ${problem}; fix the document or exclude it with rundb.user_filter`,
        { collection: this.where, document: id },
      );
    }
    return null;
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
