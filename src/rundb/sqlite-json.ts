// Documents as JSON text in SQLite: Dates become {"$date": "<ISO 8601>"} (MongoDB Extended JSON) and come back as Dates.
import { InternalError } from '../errors.js';

export function encodeDoc(doc: unknown): string {
  return JSON.stringify(doc, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    if (raw instanceof Date) {
      if (Number.isNaN(raw.getTime())) throw new InternalError(`runs DB: field ${JSON.stringify(key)} holds an invalid Date`);
      return { $date: raw.toISOString() };
    }
    return value;
  });
}

export function decodeDoc<T = Record<string, unknown>>(text: string): T {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const date = (value as { $date?: unknown }).$date;
      if (typeof date === 'string' && Object.keys(value).length === 1) return new Date(date);
    }
    return value;
  }) as T;
}

/** Epoch milliseconds for the indexed time columns (null when absent). */
export function timeColumn(value: unknown): number | null {
  return value instanceof Date ? value.getTime() : null;
}
