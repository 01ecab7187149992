// Query-string validation for the HTTP API: each bad value is a 400 that names the parameter and what it expects.
import { parseRunId, formatRunId } from '../util/validate.js';
import { ConfigError } from '../errors.js';
import { RequestError } from './request-error.js';
import { LINEAGE_HASH_PATTERN } from '../strax/lineage.js';
import { parseSelection } from './selection.js';
import type { LoadRequest } from './load-rows.js';

export type Query = Record<string, string | string[] | undefined>;

const STRAX_RUN_ID = /^[A-Za-z0-9_]{1,64}$/;
const DATA_TYPE = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;

/** One value per parameter: a repeated parameter is refused, so no layer picks a different one. */
export function single(query: Query, name: string): string | undefined {
  const v = query[name];
  if (Array.isArray(v)) throw new RequestError(400, `${name}: given ${v.length} times; give it once`);
  return v;
}

export function refuseUnknown(query: Query, known: readonly string[]): void {
  const unknown = Object.keys(query).filter((k) => !known.includes(k));
  if (unknown.length) throw new RequestError(400, `unknown parameter ${JSON.stringify(unknown[0])} (known: ${known.join(', ')})`);
}

/** microstrax's run id rule: all digits → zero-padded to six; other strax run ids must be letters, digits and _. */
export function parseStraxRunId(text: string | undefined, name = 'run_id'): string {
  if (text === undefined || text === '') throw new RequestError(400, `${name} is required, e.g. ${name}=012100`);
  if (/^\d+$/.test(text)) {
    try {
      return formatRunId(parseRunId(text, name));
    } catch (error) {
      throw new RequestError(400, (error as ConfigError).shortMessage);
    }
  }
  if (!STRAX_RUN_ID.test(text)) throw new RequestError(400, `${name}: ${JSON.stringify(text.slice(0, 80))} is not a run id (digits, e.g. 012100, or letters, digits and _)`);
  return text;
}

export function parseDataType(text: string | undefined, name = 'target'): string {
  if (text === undefined || text === '') throw new RequestError(400, `${name} is required, e.g. ${name}=peak_basics`);
  if (!DATA_TYPE.test(text)) throw new RequestError(400, `${name}: ${JSON.stringify(text.slice(0, 80))} is not a data type (letters, digits and _, e.g. peak_basics)`);
  return text;
}

function parseLineageHash(text: string | undefined): string | null {
  if (text === undefined || text === '') return null;
  if (!LINEAGE_HASH_PATTERN.test(text)) throw new RequestError(400, `lineage: ${JSON.stringify(text.slice(0, 80))} is not a strax lineage hash (10 characters a-z and 2-7, e.g. lineage=ftmcaxhanq; see /api/data/<run>)`);
  return text;
}

function parseInteger(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  if (!/^[+-]?\d{1,15}$/.test(text.trim())) throw new RequestError(400, `${name}: ${JSON.stringify(text.slice(0, 80))} is not a whole number`);
  return Number(text);
}

function parseSeconds(text: string | undefined, name: string): number | null {
  if (text === undefined || text === '') return null;
  const v = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isFinite(v)) throw new RequestError(400, `${name}: ${JSON.stringify(text.slice(0, 80))} is not a number of seconds from the run start`);
  return v;
}

export function parseBoolean(text: string | undefined, name: string): boolean {
  if (text === undefined || text === '') return false;
  const t = text.toLowerCase();
  if (['true', '1', 'yes'].includes(t)) return true;
  if (['false', '0', 'no'].includes(t)) return false;
  throw new RequestError(400, `${name}: ${JSON.stringify(text.slice(0, 80))} is not true or false`);
}

export const GET_DATA_PARAMS = ['run_id', 'target', 'max_n', 'start', 'end', 'selection', 'allow_incomplete', 'format', 'lineage'] as const;

export interface GetDataParams extends LoadRequest {
  format: 'json' | 'npy';
}

export function parseGetDataQuery(query: Query): GetDataParams {
  refuseUnknown(query, GET_DATA_PARAMS);
  const maxN = parseInteger(single(query, 'max_n'), 'max_n', 1000);
  const start = parseSeconds(single(query, 'start'), 'start');
  const end = parseSeconds(single(query, 'end'), 'end');
  if (start !== null && end !== null && end < start) throw new RequestError(400, `end (${end}) is before start (${start})`);
  const selectionText = single(query, 'selection');
  const format = single(query, 'format') ?? 'json';
  if (format !== 'json' && format !== 'npy') throw new RequestError(400, `format: ${JSON.stringify(format.slice(0, 80))} is not json or npy`);
  return {
    runId: parseStraxRunId(single(query, 'run_id')),
    target: parseDataType(single(query, 'target')),
    maxN: maxN <= 0 ? null : maxN,
    // microstrax ignores a time range unless both ends are given
    start: start !== null && end !== null ? start : null,
    end: start !== null && end !== null ? end : null,
    selection: selectionText === undefined || selectionText.trim() === '' ? null : parseSelection(selectionText),
    allowIncomplete: parseBoolean(single(query, 'allow_incomplete'), 'allow_incomplete'),
    lineage: parseLineageHash(single(query, 'lineage')),
    format,
  };
}
