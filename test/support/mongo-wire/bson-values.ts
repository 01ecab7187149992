// BSON values as the strict test server keeps them (Int32/Double/Long wrappers, never promoted) and mongod's comparisons of them.
import { Binary, Decimal128, Double, Int32, Long, ObjectId, type Document } from 'bson';

/** Options that keep every numeric BSON type distinct when reading a message. */
export const STRICT_DESERIALIZE = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: false } as const;

export function isNumeric(value: unknown): boolean {
  return typeof value === 'number' || value instanceof Int32 || value instanceof Double || value instanceof Long || value instanceof Decimal128;
}

export function numericValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value instanceof Int32 || value instanceof Double) return value.value;
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Decimal128) return Number(value.toString());
  return Number.NaN;
}

export function isPlainDoc(value: unknown): value is Document {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** mongod's $type name of a stored value. */
export function bsonTypeName(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (value instanceof Int32) return 'int';
  if (value instanceof Long) return 'long';
  if (value instanceof Double) return 'double';
  if (value instanceof Decimal128) return 'decimal';
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < 2 ** 31 ? 'int' : 'double';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (value instanceof Date) return 'date';
  if (value instanceof ObjectId) return 'objectId';
  if (value instanceof RegExp) return 'regex';
  if (value instanceof Binary) return 'binData';
  if (Array.isArray(value)) return 'array';
  return 'object';
}

const TYPE_NUMBERS: Record<number, string> = { 1: 'double', 2: 'string', 3: 'object', 4: 'array', 5: 'binData', 7: 'objectId', 8: 'bool', 9: 'date', 10: 'null', 11: 'regex', 16: 'int', 18: 'long', 19: 'decimal' };

/** Does a stored value have one of the `$type` operands (names, numbers, or the alias "number")? */
export function hasType(value: unknown, wanted: unknown): boolean {
  const list = Array.isArray(wanted) ? wanted : [wanted];
  const name = bsonTypeName(value);
  return list.some((w) => {
    const n = isNumeric(w) ? TYPE_NUMBERS[numericValue(w)] : w;
    return n === name || (n === 'number' && ['int', 'long', 'double', 'decimal'].includes(name));
  });
}

/** mongod's equality: numbers by value across types, documents field by field in order, arrays element by element. */
export function bsonEqual(a: unknown, b: unknown): boolean {
  if (isNumeric(a) || isNumeric(b)) return isNumeric(a) && isNumeric(b) && numericValue(a) === numericValue(b);
  if (a === null || a === undefined || b === null || b === undefined) return a === b;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof ObjectId || b instanceof ObjectId) return a instanceof ObjectId && b instanceof ObjectId && a.equals(b);
  if (a instanceof RegExp || b instanceof RegExp) return String(a) === String(b);
  if (a instanceof Binary || b instanceof Binary) return a instanceof Binary && b instanceof Binary && Buffer.from(a.buffer).equals(Buffer.from(b.buffer));
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => bsonEqual(x, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a as Document);
    const kb = Object.keys(b as Document);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && bsonEqual((a as Document)[k], (b as Document)[k]));
  }
  return a === b;
}

/** A copy with plain JS numbers in place of Int32/Double/Long (what mingo understands), for matching, sorting and index keys. */
export function promote(value: unknown): unknown {
  if (isNumeric(value)) return numericValue(value);
  if (Array.isArray(value)) return value.map(promote);
  if (isPlainDoc(value)) {
    const out: Document = {};
    for (const [k, v] of Object.entries(value)) out[k] = promote(v);
    return out;
  }
  return value;
}

/** Every value a dotted path reaches, descending through arrays as mongod does (the array itself and its elements). */
export function pathValues(doc: unknown, path: string): unknown[] {
  const parts = path.split('.');
  const walk = (value: unknown, i: number): unknown[] => {
    if (i === parts.length) return Array.isArray(value) ? [value, ...value] : [value];
    if (Array.isArray(value)) {
      const key = parts[i]!;
      const direct = /^\d+$/.test(key) ? walk(value[Number(key)], i + 1) : [];
      return [...direct, ...value.flatMap((el) => (isPlainDoc(el) ? walk(el, i) : []))];
    }
    if (!isPlainDoc(value)) return i === parts.length ? [value] : [undefined];
    return walk(value[parts[i]!], i + 1);
  };
  return walk(doc, 0);
}
