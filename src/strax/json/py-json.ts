// JSON reader that keeps int64 exact and float tokens as floats, and a writer identical to Python's json.dumps.
import { PyFloat, compareCodePoints, type PyJson, type PyJsonObject } from './values.js';
import { pyFloatRepr } from './py-float.js';

export class PyJsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}
Object.defineProperty(PyJsonSyntaxError.prototype, 'name', { value: 'PyJsonSyntaxError', enumerable: false });

/** Parse JSON text (including Python's bare NaN/Infinity); ints become bigint, floats PyFloat with their text. */
export function parsePyJson(text: string): PyJson {
  const p = new Parser(text);
  p.ws();
  const value = p.value();
  p.ws();
  if (p.i !== text.length) p.fail('unexpected text after the JSON value');
  return value;
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    const line = this.s.slice(0, this.i).split('\n').length;
    throw new PyJsonSyntaxError(`${what} at line ${line} (offset ${this.i})`, this.i);
  }

  ws(): void {
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else break;
    }
  }

  value(): PyJson {
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    for (const [word, v] of WORDS) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.number();
  }

  number(): PyJson {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) this.fail(this.i >= this.s.length ? 'unexpected end of JSON' : `unexpected character ${JSON.stringify(this.s[this.i])}`);
    this.i += m[0].length;
    if (m[1] === undefined && m[2] === undefined) return BigInt(m[0]);
    return new PyFloat(Number(m[0]), m[0]);
  }

  string(): string {
    this.i++; // opening quote
    let out = '';
    let start = this.i;
    for (;;) {
      if (this.i >= this.s.length) this.fail('unterminated string');
      const c = this.s.charCodeAt(this.i);
      if (c === 0x22) {
        out += this.s.slice(start, this.i);
        this.i++;
        return out;
      }
      if (c === 0x5c) {
        out += this.s.slice(start, this.i);
        const e = this.s[this.i + 1];
        if (e === 'u') {
          const hex = this.s.slice(this.i + 2, this.i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += 6;
        } else {
          const rep = ESCAPES[e ?? ''];
          if (rep === undefined) this.fail(`bad escape \\${e}`);
          out += rep;
          this.i += 2;
        }
        start = this.i;
        continue;
      }
      if (c < 0x20) this.fail('control character in string');
      this.i++;
    }
  }

  array(): PyJson[] {
    this.i++;
    const out: PyJson[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'");
    }
  }

  object(): PyJsonObject {
    this.i++;
    const out: PyJsonObject = Object.create(null) as PyJsonObject;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') this.fail("expected ':'");
      this.ws();
      out[key] = this.value();
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.fail("expected ',' or '}'");
    }
  }
}

const WORDS: [string, PyJson][] = [
  ['true', true],
  ['false', false],
  ['null', null],
  ['NaN', new PyFloat(NaN, 'NaN')],
  ['Infinity', new PyFloat(Infinity, 'Infinity')],
  ['-Infinity', new PyFloat(-Infinity, '-Infinity')],
];
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** A string literal as Python's json module writes it with ensure_ascii=True (lowercase \uXXXX). */
export function pyJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) {
      if (c === 0x22) out += '\\"';
      else if (c === 0x5c) out += '\\\\';
      else out += s[i];
    } else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else out += '\\u' + c.toString(16).padStart(4, '0');
  }
  return out + '"';
}

export interface PyDumpOptions {
  /** `indent=N`: newline + N spaces per level, item separator `,`; without it Python's `, ` and `: `. */
  indent?: number;
  sortKeys?: boolean;
}

/** `json.dumps(value, sort_keys=..., indent=...)` byte for byte (ensure_ascii, no trailing newline). */
export function pyJsonDumps(value: PyJson, options: PyDumpOptions = {}): string {
  return dump(value, options, 0);
}

function dump(v: PyJson, o: PyDumpOptions, level: number): string {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'string') return pyJsonString(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v).toString() : pyFloatRepr(v);
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  const open = Array.isArray(v) ? '[' : '{';
  const close = Array.isArray(v) ? ']' : '}';
  const items = Array.isArray(v)
    ? v.map((x) => dump(x, o, level + 1))
    : orderedKeys(v, o).map((k) => `${pyJsonString(k)}: ${dump(v[k]!, o, level + 1)}`);
  if (items.length === 0) return open + close;
  if (o.indent === undefined) return open + items.join(', ') + close;
  const inner = '\n' + ' '.repeat(o.indent * (level + 1));
  const outer = '\n' + ' '.repeat(o.indent * level);
  return open + inner + items.join(',' + inner) + outer + close;
}

function orderedKeys(obj: PyJsonObject, o: PyDumpOptions): string[] {
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
  return o.sortKeys ? keys.sort(compareCodePoints) : keys;
}
