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
  // A plain parse and one walk: about twice as fast as a JSON.parse reviver, which every listRuns pays per document.
  return revive(JSON.parse(text)) as T;
}

/** `{"$date": "<ISO>"}` (and nothing else in the object) becomes a Date, at any depth. */
function revive(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
    return value;
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.$date === 'string' && Object.hasOwn(obj, '$date') && onlyKey(obj)) return new Date(obj.$date);
  for (const key of Object.keys(obj)) {
    const before = obj[key];
    const after = revive(before);
    if (after === before) continue;
    // A key named __proto__ stays a plain field, as JSON.parse made it (assignment would set the prototype).
    if (key === '__proto__') Object.defineProperty(obj, key, { value: after, writable: true, enumerable: true, configurable: true });
    else obj[key] = after;
  }
  return obj;
}

function onlyKey(obj: object): boolean {
  let n = 0;
  for (const _ in obj) if (++n > 1) return false;
  return n === 1;
}

/** Epoch milliseconds for the indexed time columns (null when absent). */
export function timeColumn(value: unknown): number | null {
  return value instanceof Date ? value.getTime() : null;
}
