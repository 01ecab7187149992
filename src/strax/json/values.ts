// The value model for Python-written JSON: ints stay exact (bigint), floats remember they were floats.

/** A JSON number that Python wrote as a float (`60.0`, `1e-05`); `text` is the token as it appeared, if parsed. */
export class PyFloat {
  constructor(
    readonly value: number,
    readonly text?: string,
  ) {}
  toJSON(): number {
    return this.value;
  }
}

/** Mark a JS number as a Python float, so `1` is written `1.0` and hashes like Python's `1.0`. */
export function pyFloat(value: number): PyFloat {
  return new PyFloat(value);
}

/**
 * A JSON value as Python sees it. Integers parsed from text are bigint; JS `number`s given by callers are
 * written as ints when integral and as floats otherwise (wrap in `pyFloat` to force a float).
 */
export type PyJson = null | boolean | string | number | bigint | PyFloat | PyJson[] | PyJsonObject;
export interface PyJsonObject {
  [key: string]: PyJson;
}

export function isPyJsonObject(value: unknown): value is PyJsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof PyFloat);
}

/** Compare two strings by Unicode code point, as Python's `sorted` does (JS `<` compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

/** Numeric value of an int-or-float JSON number as a JS number (bigint converted, may round above 2^53). */
export function pyNumber(value: PyJson | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof PyFloat) return value.value;
  return undefined;
}
