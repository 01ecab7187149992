// rundb.user_filter: an extra MongoDB-syntax filter on the runs daqflow handles, validated at open with mingo.
import type { Query } from 'mingo';
import { ConfigError } from '../errors.js';

/** Operators mongod understands but mingo does not; accepted for the mongo backend only. */
const MONGO_ONLY = ['$text', '$where', '$near', '$nearSphere', '$geoWithin', '$geoIntersects', '$jsonSchema', '$comment'];

export type UserFilter = Record<string, unknown>;

/** Turns Extended-JSON dates (`{$date: "2026-01-01T00:00:00Z"}`, writable in YAML) into Dates. */
export function reviveFilterDates(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reviveFilterDates);
  if (!value || typeof value !== 'object' || value instanceof Date || value instanceof RegExp) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1 && entries[0]![0] === '$date' && typeof entries[0]![1] === 'string') {
    const date = new Date(entries[0]![1]);
    if (!Number.isNaN(date.getTime())) return date;
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, reviveFilterDates(v)]));
}

/**
 * Validates rundb.user_filter; returns the filter (dates revived) and, for backends that evaluate it
 * themselves (sqlite), the compiled mingo Query. An unknown operator is a ConfigError naming the key.
 */
export async function compileUserFilter(
  raw: UserFilter | null | undefined,
  backend: 'mongo' | 'sqlite',
): Promise<{ filter: UserFilter | null; query: Query | null }> {
  if (!raw || Object.keys(raw).length === 0) return { filter: null, query: null };
  const filter = reviveFilterDates(raw) as UserFilter;
  // mingo with all its operators takes ~0.25 s to load: only when a user filter is configured.
  const { Query } = await import('mingo');
  try {
    return { filter, query: new Query(filter, {}) };
  } catch (error) {
    const message = (error as Error).message;
    const mongoOnly = MONGO_ONLY.find((op) => message.includes(op));
    if (mongoOnly && backend === 'mongo') return { filter, query: null };
    const hint = mongoOnly
      ? `${mongoOnly} needs a MongoDB server; the sqlite backend cannot evaluate it`
      : 'use MongoDB query syntax, e.g. {mode: {$ne: test}, tags.name: {$nin: [bad]}}';
    throw new ConfigError(`rundb.user_filter: ${message} in ${JSON.stringify(raw)}; ${hint}`, {
      context: { option: 'rundb.user_filter' },
      cause: error,
    });
  }
}
