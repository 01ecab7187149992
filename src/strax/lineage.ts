// strax's deterministic_hash: hashablize (dicts → sorted pairs), Python json.dumps, SHA-1, base32, 10 lowercase chars.
import crypto from 'node:crypto';
import { compareCodePoints, isPyJsonObject, type PyJson } from './json/values.js';
import { pyJsonDumps } from './json/py-json.js';

/** A lineage: `{data_type: [PluginClass, version, {tracked_option: value}]}` for a type and all its dependencies. */
export type Lineage = Record<string, [string, string, Record<string, PyJson>] | PyJson>;

/** strax's `hashablize`: mappings become lists of [key, value] pairs sorted by key, recursively. */
export function hashablize(value: PyJson): PyJson {
  if (Array.isArray(value)) return value.map(hashablize);
  if (isPyJsonObject(value)) {
    return Object.keys(value)
      .sort(compareCodePoints)
      .map((k) => [k, hashablize(value[k]!)]);
  }
  return value;
}

/** The exact text strax hashes: `json.dumps(hashablize(thing))` with Python's default separators. */
export function hashInputJson(thing: PyJson): string {
  return pyJsonDumps(hashablize(thing));
}

/** RFC 4648 base32 (A–Z, 2–7), padded with '=' like Python's base64.b32encode. */
export function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(acc << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

export interface HashDetails {
  json: string;
  sha1: string;
  base32: string;
  hash: string;
}

/** Every intermediate of `deterministic_hash`, for diagnostics and tests. */
export function deterministicHashDetails(thing: PyJson, length = 10): HashDetails {
  const json = hashInputJson(thing);
  return hashJsonText(json, length);
}

/** Hash already-serialised hash input text (as strax would have produced it). */
export function hashJsonText(json: string, length = 10): HashDetails {
  // ensure_ascii output is pure ASCII, so 'latin1' and 'ascii' encodings are the same bytes.
  const digest = crypto.createHash('sha1').update(json, 'latin1').digest();
  const b32 = base32(digest);
  return { json, sha1: digest.toString('hex'), base32: b32, hash: b32.slice(0, length).toLowerCase() };
}

/** What a lineage hash looks like in folder names: strax's deterministic_hash, 10 characters of lowercase base32. */
export const LINEAGE_HASH_PATTERN = /^[a-z2-7]{10}$/;

/** `strax.deterministic_hash(thing)`: the 10-character lineage hash used in folder names. */
export function deterministicHash(thing: PyJson, length = 10): string {
  return deterministicHashDetails(thing, length).hash;
}

/** Convenience: the lineage hash of a lineage object (same as deterministicHash). */
export function lineageHash(lineage: PyJson): string {
  return deterministicHash(lineage);
}

