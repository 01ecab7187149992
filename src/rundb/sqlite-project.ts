// A MongoDB-style projection done inside SQLite: only the asked-for top-level fields leave the database, as JSON text.
import { decodeDoc } from './sqlite-json.js';

/** Top-level keys SQLite's JSON path syntax can name in double quotes (no quote, backslash or control character). */
const QUOTABLE = /^[^"\\\u0000-\u001f]+$/;

/**
 * The select-list that reads `keys` out of `r.doc` (one JSON-text column each, NULL when the document lacks the key),
 * or null when a key cannot be written as a path (the caller then decodes whole documents).
 */
export function projectionColumns(keys: readonly string[]): string | null {
  if (!keys.every((k) => QUOTABLE.test(k))) return null;
  // The path is an SQL string literal: single quotes are doubled; the key itself is a quoted JSON path label.
  return keys.map((k, i) => `r.doc -> '$."${k.replaceAll("'", "''")}"' AS p${i}`).join(', ');
}

/** A row of projectionColumns back into a document: absent keys stay absent, Dates are revived as in decodeDoc. */
export function decodeProjected(row: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) {
    const text = row[`p${i}`];
    if (typeof text !== 'string') continue;
    const key = keys[i]!;
    const value = decodeDoc<unknown>(text);
    if (key === '__proto__') Object.defineProperty(doc, key, { value, writable: true, enumerable: true, configurable: true });
    else doc[key] = value;
  }
  return doc;
}
