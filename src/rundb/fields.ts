// Names of the run-document fields in a MongoDB runs collection (rundb.fields), and the renaming between them and RunDoc.
import type { Document } from 'mongodb';

/** RunDoc field → field name in the stored document. */
export interface RunFields {
  number: string;
  name: string;
  data: string;
  deleted_data: string;
  tags: string;
}

export const DEFAULT_RUN_FIELDS: RunFields = { number: 'number', name: 'name', data: 'data', deleted_data: 'deleted_data', tags: 'tags' };

const MAPPED = Object.keys(DEFAULT_RUN_FIELDS) as Array<keyof RunFields>;

/** The stored name of a top-level RunDoc field (unmapped fields keep their name). */
export function storedName(fields: RunFields, key: string): string {
  return (MAPPED as string[]).includes(key) ? fields[key as keyof RunFields] : key;
}

/** Whether every mapped field keeps its default name (then documents need no renaming). */
export function isDefaultMapping(fields: RunFields): boolean {
  return MAPPED.every((k) => fields[k] === k);
}

/** A stored document with mapped fields renamed to the RunDoc names (field order kept); other fields pass through. */
export function fromStored(fields: RunFields, doc: Document): Document {
  if (isDefaultMapping(fields)) return doc;
  const back = new Map(MAPPED.map((k) => [fields[k], k] as const));
  const out: Document = {};
  for (const [key, value] of Object.entries(doc)) {
    const renamed = back.get(key);
    // A stored field that happens to carry a RunDoc name of a remapped field is dropped rather than shadowing it.
    if (renamed === undefined && (MAPPED as string[]).includes(key) && fields[key as keyof RunFields] !== key) continue;
    out[renamed ?? key] = value;
  }
  return out;
}

/** Top-level RunDoc fields renamed to their stored names (for $set). */
export function toStored(fields: RunFields, doc: Record<string, unknown>): Document {
  if (isDefaultMapping(fields)) return doc;
  return Object.fromEntries(Object.entries(doc).map(([k, v]) => [storedName(fields, k), v]));
}
